"""Podman for the container tests: base images made from Debian's packages, the project's image
built from its Dockerfile, and docker-compose.yml run by the real ``docker-compose`` against
podman's Docker-compatible API.

No image can be pulled on the test machines. ``localhost/bookworm:base`` is debootstrapped from
the Debian mirror apt already uses; the test-only Python, PostgreSQL and Redis images are built on
it from ``tests/deploy/podman/``. Each is tagged with a hash of what it is made from and rebuilt
only when that changes. Every podman command runs with ``tests/deploy/podman/containers.conf``
(runc, cgroupfs, no default ulimits: what these machines allow). ``.ci/setup-containers``
installs podman, runc and debootstrap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import ROOT

PODMAN_DIR = ROOT / "tests" / "deploy" / "podman"
CONTAINERS_CONF = PODMAN_DIR / "containers.conf"
COMPOSE_OVERRIDE = PODMAN_DIR / "compose.test.yml"
BIN = Path(sys.executable).parent
BASE_IMAGE = "localhost/bookworm:base"
SUITE_IMAGE = "localhost/django-service-suite:latest"
RECIPE_LABEL = "org.django-service-suite.test-recipe"
# Bumped when the way the base image is made changes (the mirror and suite are hashed too).
BASE_RECIPE = "debootstrap --variant=minbase bookworm, v1"
#: Tools the container tests need besides the virtualenv's docker-compose and hadolint.
SYSTEM_TOOLS = ("podman", "runc", "debootstrap", "ip")
PROJECT = os.environ.get("CONTAINER_TEST_PROJECT", "dss-test")
#: Host ports of the user, ticket and file services in the test (not the users' 8001-8003).
PORTS = {
    "user-service": int(os.environ.get("CONTAINER_TEST_USER_PORT", "18001")),
    "ticket-service": int(os.environ.get("CONTAINER_TEST_TICKET_PORT", "18002")),
    "file-service": int(os.environ.get("CONTAINER_TEST_FILE_PORT", "18003")),
}
#: What the container tests measured, printed at the end of the run (tests/deploy/conftest.py).
MEASUREMENTS: dict[str, str] = {}


def missing_tools() -> list[str]:
    """The programs the container tests need that this machine lacks."""
    missing = [tool for tool in SYSTEM_TOOLS if shutil.which(tool) is None]
    missing += [tool for tool in ("docker-compose", "hadolint") if not (BIN / tool).exists()]
    if os.geteuid() != 0:
        missing.append("root (debootstrap and podman's bridge networks)")
    return missing


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def podman(*args: str, check: bool = True, timeout: float = 900, **kwargs) -> str:
    """Run ``podman ARGS`` with the tests' configuration; return its stdout."""
    result = subprocess.run(
        ["podman", *args],
        env=podman_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def container_logs(container: str) -> list[str]:
    """Every line the container wrote, stdout and stderr (``podman logs``)."""
    result = subprocess.run(
        ["podman", "logs", container],
        env=podman_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


def image_exists(image: str) -> bool:
    return (
        subprocess.run(
            ["podman", "image", "exists", image], env=podman_env(), check=False
        ).returncode
        == 0
    )


def image_label(image: str, label: str) -> str | None:
    if not image_exists(image):
        return None
    labels = json.loads(podman("image", "inspect", "--format", "{{json .Labels}}", image))
    return (labels or {}).get(label)


def image_id(image: str) -> str:
    return podman("image", "inspect", "--format", "{{.Id}}", image).strip()


def debian_mirror() -> str:
    """The mirror apt uses on this machine for Debian bookworm (deb822 or one-line sources)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        candidates = [
            (dict(re.findall(r"^(URIs|Suites):\s*(.+)$", stanza, re.M)))
            for stanza in re.split(r"\n\s*\n", text)
        ]
        pairs = [(c.get("URIs", ""), c.get("Suites", "")) for c in candidates]
        pairs += re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", text, re.M)
        for uris, suites in pairs:
            if "bookworm" in suites.split():
                return uris.split()[0]
    return "http://deb.debian.org/debian"


def _hash(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def ensure_base_image() -> str:
    """``localhost/bookworm:base``: Debian bookworm (minbase) from the mirror apt uses."""
    mirror = debian_mirror()
    recipe = _hash(BASE_RECIPE, mirror)
    if image_label(BASE_IMAGE, RECIPE_LABEL) == recipe:
        return BASE_IMAGE
    with tempfile.TemporaryDirectory(prefix="bookworm-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror],
            check=True,
            capture_output=True,
            timeout=900,
        )
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        podman(
            "import",
            "--change",
            f"LABEL {RECIPE_LABEL}={recipe}",
            "--change",
            'CMD ["/bin/bash"]',
            "-",
            BASE_IMAGE,
            stdin=tar.stdout,
        )
        tar.wait()
    podman("image", "prune", "-f")  # the previous base, now untagged
    return BASE_IMAGE


def pip_ca_bundle() -> Path:
    """The CA bundle pip uses on this machine (``pip config list``, else certifi's)."""
    configured = os.environ.get("PIP_CERT")
    if not configured:
        listing = subprocess.run(
            [sys.executable, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        match = re.search(r"\bcert='([^']+)'", listing)
        configured = match.group(1) if match else None
    if configured and Path(configured).is_file():
        return Path(configured)
    import certifi

    return Path(certifi.where())


def ensure_test_image(
    name: str, containerfile: str, base: str, files: dict[str, Path] | None = None
) -> str:
    """Build ``tests/deploy/podman/<containerfile>`` FROM ``base`` unless an image of the same
    inputs exists (tag ``localhost/<name>:<hash of Containerfile, files and base image>``)."""
    sources = {"Containerfile": PODMAN_DIR / containerfile, **(files or {})}
    for path in PODMAN_DIR.glob(containerfile.split(".")[0] + "-*.sh"):
        sources.setdefault(path.name, path)
    recipe = _hash(
        image_id(base), *(f"{n}:{p.read_bytes().hex()}" for n, p in sorted(sources.items()))
    )
    tag = f"localhost/{name}:{recipe}"
    if image_exists(tag):
        return tag
    with tempfile.TemporaryDirectory(prefix=f"{name}-context-") as context:
        for target, source in sources.items():
            shutil.copy2(source, Path(context) / target)
        podman(
            "build",
            "--format",
            "docker",
            "--network=host",
            "--build-arg",
            f"BASE_IMAGE={base}",
            "--label",
            f"{RECIPE_LABEL}={recipe}",
            "-t",
            tag,
            context,
        )
    # Older builds of the same image (other inputs) go, so the cache does not grow run by run.
    for line in podman("images", "--format", "{{.Repository}}:{{.Tag}}").split():
        if line.startswith(f"localhost/{name}:") and line != tag:
            podman("rmi", line, check=False)
    return tag


@dataclass
class BaseImages:
    """The images the tests build on: Python (the Dockerfile's PYTHON_IMAGE), PostgreSQL, Redis."""

    python: str
    postgres: str
    redis: str


def ensure_base_images() -> BaseImages:
    base = ensure_base_image()
    python = ensure_test_image(
        "python", "python.Containerfile", base, {"ca-bundle.crt": pip_ca_bundle()}
    )
    return BaseImages(
        python=python,
        postgres=ensure_test_image("postgres-debian", "postgres.Containerfile", base),
        redis=ensure_test_image("redis-debian", "redis.Containerfile", base),
    )


@dataclass
class BuiltImage:
    """The project's image, built from its Dockerfile, and what the build took."""

    tag: str
    seconds: float
    size: int


def build_suite_image(python_image: str) -> BuiltImage:
    """``podman build`` of the repository's Dockerfile, as a user builds it (no layer cache,
    so the time is a whole build's; ``--format docker`` keeps the HEALTHCHECK)."""
    started = time.monotonic()
    podman(
        "build",
        "--format",
        "docker",
        "--network=host",
        "--no-cache",
        "--build-arg",
        f"PYTHON_IMAGE={python_image}",
        "-t",
        SUITE_IMAGE,
        str(ROOT),
        timeout=1800,
    )
    seconds = time.monotonic() - started
    size = int(podman("image", "inspect", "--format", "{{.Size}}", SUITE_IMAGE))
    subprocess.run(["podman", "image", "prune", "-f"], env=podman_env(), capture_output=True)
    return BuiltImage(tag=SUITE_IMAGE, seconds=seconds, size=size)


# --- docker-compose against podman's API ----------------------------------------------------------


@contextlib.contextmanager
def podman_service(socket: Path) -> Iterator[str]:
    """``podman system service`` on a socket of its own; yields the ``DOCKER_HOST`` URL."""
    process = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        env=podman_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not socket.exists():
            assert process.poll() is None, "podman system service exited"
            assert time.monotonic() < deadline, "podman system service did not open its socket"
            time.sleep(0.1)
        yield f"unix://{socket}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Background(threading.Thread):
    """A loop in a thread until ``stop()``: for the test's duties podman 4.3 leaves undone."""

    def __init__(self, step, interval: float) -> None:
        super().__init__(daemon=True)
        self.step, self.interval = step, interval
        self.stopped = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.step()
            except Exception as e:  # keep driving; the test reads the errors if it fails
                self.errors.append(repr(e))
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=60)


@dataclass
class ComposeStack:
    """docker-compose.yml (plus the test override) under project ``PROJECT`` on podman."""

    docker_host: str
    postgres_image: str
    redis_image: str
    timings: dict[str, float] = field(default_factory=dict)
    pinned_bridges: dict[str, str] = field(default_factory=dict)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    @property
    def env(self) -> dict[str, str]:
        config = Path(tempfile.gettempdir()) / f"{PROJECT}-docker-config"
        config.mkdir(exist_ok=True)
        return {
            "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", "/root"),
            "DOCKER_HOST": self.docker_host,
            "DOCKER_CONFIG": str(config),
            "COMPOSE_PROJECT_NAME": PROJECT,
            # The services run their production settings, which refuse the development key:
            # the user's own .env holds one (docs/services.md), this run its own random one.
            "SECRET_KEY": self.secret_key,
            "DSS_TEST_POSTGRES_IMAGE": self.postgres_image,
            "DSS_TEST_REDIS_IMAGE": self.redis_image,
            "USER_SERVICE_PORT": str(PORTS["user-service"]),
            "TICKET_SERVICE_PORT": str(PORTS["ticket-service"]),
            "FILE_SERVICE_PORT": str(PORTS["file-service"]),
        }

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> str:
        """``docker-compose -f docker-compose.yml -f <override> ARGS``; its stdout."""
        argv = [str(BIN / "docker-compose"), "-f", "docker-compose.yml"]
        argv += ["-f", str(COMPOSE_OVERRIDE.relative_to(ROOT)), *args]
        result = subprocess.run(
            argv,
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker-compose {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
            )
        return result.stdout

    def containers(self, *filters: str) -> list[str]:
        argv = ["ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}"]
        for item in filters:
            argv += ["--filter", item]
        return podman(*argv).split()

    def drive_healthchecks(self) -> None:
        """Run the healthcheck of every container still ``starting`` (or ``unhealthy``):
        without systemd, podman 4.3 runs them only when asked."""
        for state in ("starting", "unhealthy"):
            for container in self.containers("status=running", f"health={state}"):
                podman("healthcheck", "run", container, check=False, timeout=60)

    def pin_bridge_mac(self) -> None:
        """Fix the compose network bridge's MAC address as soon as the bridge exists.

        Debian's netavark lets the kernel pick it: it changes when the container that owned it
        exits (a migrate step), and the others then lose the DNS server on the gateway for
        20-60 s. An address set explicitly stays.
        """
        network = f"{PROJECT}_default"
        if network in self.pinned_bridges:
            return
        if not podman("network", "ls", "-q", "--filter", f"name=^{network}$").strip():
            return
        (info,) = json.loads(podman("network", "inspect", network))
        interface = info.get("network_interface")
        address_file = Path("/sys/class/net") / str(interface) / "address"
        if not interface or not address_file.exists():
            return
        mac = address_file.read_text().strip()
        subprocess.run(["ip", "link", "set", "dev", interface, "address", mac], check=True)
        self.pinned_bridges[network] = f"{interface} {mac}"

    def health(self, service: str) -> str:
        (container,) = self.containers(f"label=com.docker.compose.service={service}")
        return podman("inspect", "--format", "{{.State.Health.Status}}", container).strip()

    def logs(self, service: str) -> list[str]:
        out = self.compose("logs", "--no-color", "--no-log-prefix", service)
        return [line for line in out.splitlines() if line.strip()]

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, volumes and networks of the project that still exist."""
        label = f"label=com.docker.compose.project={PROJECT}"
        return {
            "containers": self.containers(),
            "volumes": podman("volume", "ls", "-q", "--filter", label).split(),
            "networks": podman("network", "ls", "-q", "--filter", label).split(),
        }

    @contextlib.contextmanager
    def background_duties(self) -> Iterator[None]:
        """Pin the bridge MAC and drive the healthchecks while the block runs."""
        pinner = _Background(self.pin_bridge_mac, 0.1)
        driver = _Background(self.drive_healthchecks, 2.0)
        pinner.start()
        driver.start()
        try:
            yield
        finally:
            pinner.stop()
            driver.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[ComposeStack]:
        """``up -d`` (timed), yield, then ``down -v`` (timed) whatever happened."""
        self.compose("down", "-v", "--remove-orphans", check=False)
        try:
            with self.background_duties():
                started = time.monotonic()
                self.compose("up", "-d", timeout=900)
                self.timings["up -d (migrate steps done, dependencies healthy)"] = (
                    time.monotonic() - started
                )
                wait_until(
                    lambda: all(self.health(s) == "healthy" for s in PORTS),
                    timeout=300,
                    what="every service healthy",
                )
                self.timings["up -d until all three services healthy"] = time.monotonic() - started
                yield self
        finally:
            self.compose("down", "-v", "--remove-orphans", check=False, timeout=300)


def wait_until(condition, timeout: float, what: str, interval: float = 1.0) -> float:
    """Poll ``condition`` until it is true; return the seconds it took (fail after timeout)."""
    started = time.monotonic()
    last_error: BaseException | None = None
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except (OSError, AssertionError, ValueError) as e:  # connection refused, not yet up
            last_error = e
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not {what} within {timeout:g} s (last error: {last_error!r})")
        time.sleep(interval)
