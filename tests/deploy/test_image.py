"""The image built from the Dockerfile with podman: user, size, layers, secrets, HEALTHCHECK.

Container tests (marker ``container``): the image is built once per session from the repository's
Dockerfile on a Debian-made Python base (tests/deploy/containers.py).
"""

from __future__ import annotations

import json
import re
import secrets
import tarfile
import time

import pytest

from shared_core.redaction import is_sensitive_key
from tests.deploy.conftest import parse_dockerfile
from tests.deploy.containers import MEASUREMENTS, container_logs, podman, wait_until

pytestmark = pytest.mark.container

#: The layers the Dockerfile adds on top of its Python base: the virtualenv with Django, DRF,
#: allauth, psycopg, cryptography... (about 110 MB) and the settings, services and static files.
ADDED_SIZE_LIMIT = 160_000_000
#: Names that must never be in any layer (deleted later or not: every layer ships).
FORBIDDEN_NAMES = re.compile(
    r"(^|/)(\.env(\.[^/]*)?|\.git|id_rsa|id_ed25519|\.pypirc|\.netrc|[^/]*\.sqlite3|wheels)(/|$)"
)


def inspect(image: str) -> dict:
    (info,) = json.loads(podman("image", "inspect", image))
    return info


def test_the_image_runs_as_a_non_root_user(suite_image):
    config = inspect(suite_image.tag)["Config"]
    assert config["User"] == "10001:10001"
    out = podman("run", "--rm", "--entrypoint", "id", suite_image.tag)
    assert out.startswith("uid=10001(app) gid=10001(app)"), out


def test_only_installed_packages_reach_the_image(suite_image, base_images):
    # The build stage's wheels and pip stay behind: the Dockerfile adds the virtualenv, the
    # sources of the settings and services, and the collected static files.
    base_size = int(podman("image", "inspect", "--format", "{{.Size}}", base_images.python))
    added = suite_image.size - base_size
    MEASUREMENTS["size added to the Python base"] = f"{added / 1e6:.1f} MB"
    assert added < ADDED_SIZE_LIMIT, f"{added / 1e6:.1f} MB added to the base image"
    history = json.loads(podman("history", "--no-trunc", "--format", "json", suite_image.tag))
    created_by = [entry.get("CreatedBy", entry.get("createdBy", "")) for entry in history]
    assert not [line for line in created_by if "/wheels" in line], created_by
    listing = podman(
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        suite_image.tag,
        "-c",
        "ls /opt/venv/bin; ls /tmp; python -m pip --version 2>&1 || true",
    )
    assert "No module named pip" in listing, listing
    assert "wheels" not in listing


def test_no_layer_and_no_config_holds_a_secret(suite_image, tmp_path):
    info = inspect(suite_image.tag)
    for entry in info["Config"].get("Env") or []:
        key, _, value = entry.partition("=")
        assert not is_sensitive_key(key), entry
        assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), entry
    assert not any(is_sensitive_key(key) for key in info["Config"].get("Labels") or {})
    # The build-time key of collectstatic is generated inside its RUN, never written anywhere.
    history = json.loads(podman("history", "--no-trunc", "--format", "json", suite_image.tag))
    for entry in history:
        line = entry.get("CreatedBy", entry.get("createdBy", ""))
        for match in re.finditer(r"\b([A-Z_]*(?:SECRET|TOKEN|PASSWORD)[A-Z_]*)=(\S+)", line):
            assert match.group(2).startswith('"$(python'), line
    # Every file of every layer, including files a later layer deletes.
    archive = tmp_path / "image.tar"
    podman("save", "--format", "docker-archive", "-o", str(archive), suite_image.tag)
    found: list[str] = []
    with tarfile.open(archive) as outer:
        layers = [member for member in outer.getmembers() if member.name.endswith(".tar")]
        assert layers, "no layer in the saved image"
        for member in layers:
            with tarfile.open(fileobj=outer.extractfile(member)) as layer:
                for name in layer.getnames():
                    if "/site-packages/" in name or name.startswith(("usr/", "var/lib/dpkg")):
                        continue
                    if FORBIDDEN_NAMES.search(name.removeprefix("./")):
                        found.append(f"{member.name}: {name}")
    assert not found, found


def test_the_images_own_healthcheck_turns_healthy(suite_image):
    # Kept because the image is built with --format docker (OCI images have no HEALTHCHECK).
    info = inspect(suite_image.tag)
    healthcheck = info.get("Healthcheck") or info["Config"].get("Healthcheck") or {}
    declared = parse_dockerfile().final.last("HEALTHCHECK")
    assert healthcheck.get("Test") == ["CMD", *json.loads(declared.partition("CMD")[2])], info
    name = f"dss-test-healthcheck-{secrets.token_hex(4)}"
    podman(
        "run", "-d", "--name", name,
        "-e", f"SECRET_KEY={secrets.token_urlsafe(50)}",
        "-e", "ALLOWED_HOSTS=localhost",
        "-e", "DATABASE_URL=sqlite:////tmp/db.sqlite3",
        suite_image.tag,
    )  # fmt: skip
    try:
        started = time.monotonic()

        def healthy() -> bool:
            podman("healthcheck", "run", name, check=False, timeout=60)
            state = podman("inspect", "--format", "{{.State.Health.Status}}", name).strip()
            return state == "healthy"

        wait_until(healthy, timeout=120, what="the container healthy", interval=2)
        MEASUREMENTS["image HEALTHCHECK healthy after start"] = (
            f"{time.monotonic() - started:.1f} s"
        )
        # The log is JSON lines from the first line on (the entrypoint's wait_for_db included).
        logs = container_logs(name)
        assert logs
        for line in logs:
            assert isinstance(json.loads(line), dict), line
    finally:
        podman("rm", "-f", "-t", "5", name, check=False)
