"""The Dockerfile, read with dockerfile-parse: stages, user, health check, no baked-in secrets."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands

from shared_core.redaction import is_sensitive_key
from tests.servers import ROOT

APP_PACKAGES = ("shared_core", "apipatterns", "accounts", "healthchecks")


def copy_sources(value: str) -> tuple[list[str], list[str]]:
    """(flags, sources) of a COPY instruction (the last word is the destination)."""
    words = shlex.split(value)
    flags = [w for w in words if w.startswith("--")]
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1]


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps ``path`` out of the build context (last match wins)."""
    path = path.rstrip("/")
    result = False
    for pattern in dockerignore_patterns():
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.removeprefix("**/")):
            result = not negate
    return result


def test_it_is_multi_stage_on_slim_python_images(dockerfile):
    assert dockerfile.parser.is_multistage
    assert len(dockerfile.stages) >= 2
    for stage in dockerfile.stages:
        assert stage.image.startswith("python:"), stage.image
        assert "slim" in stage.image, stage.image


def test_the_suite_is_built_as_wheels_into_a_venv_that_the_final_stage_copies(dockerfile):
    build, final = dockerfile.stages[0], dockerfile.final
    assert build.name, "the build stage needs a name for COPY --from"
    (build_run,) = [run for run in build.all("RUN") if "pip wheel" in run]
    # Everything from the wheels just built (no index), into a venv without pip of its own.
    assert "--without-pip /opt/venv" in build_run
    install = build_run[build_run.index("install") :]
    assert "--no-index" in install and "/wheels/*.whl" in install
    copied_from_build = [
        value for value in final.all("COPY") if f"--from={build.name}" in value.split()
    ]
    # Only the venv crosses over: no layer of wheels in the image, no pip install there.
    assert [copy_sources(value)[1] for value in copied_from_build] == [["/opt/venv"]]
    assert not [run for run in final.all("RUN") if "pip install" in run]
    # The apps themselves come from the wheel, never as source copies in the final image.
    for value in final.all("COPY"):
        _, sources = copy_sources(value)
        assert not any(s.rstrip("/") in APP_PACKAGES for s in sources), value


def test_the_image_runs_as_a_non_root_user(dockerfile):
    final = dockerfile.final
    user = final.last("USER")
    assert user, "the final stage must set USER"
    name = user.split(":")[0]
    assert name not in ("root", "0")
    # The user exists in the image (created before the switch) ...
    uid_or_name = re.escape(name)
    assert any(
        "useradd" in run and re.search(rf"(--uid {uid_or_name}\b|\b{uid_or_name}$)", run)
        for run in final.all("RUN")
    ), "the USER must be created with useradd in the final stage"
    # ... and nothing runs as root after it: USER comes after the last RUN.
    order = [name for name, _ in final.instructions]
    last_run = len(order) - 1 - order[::-1].index("RUN")
    assert order.index("USER") > last_run


def test_healthcheck_probes_health_without_curl(dockerfile):
    value = dockerfile.final.last("HEALTHCHECK")
    assert value, "the final stage must declare a HEALTHCHECK"
    options, _, command = value.partition("CMD")
    for option in ("--interval=", "--timeout=", "--retries="):
        assert option in options
    argv = json.loads(command.strip())
    assert argv[:4] == ["python", "-m", "django", "probe"]
    assert "/health" in argv
    assert not {"curl", "wget"} & set(argv)
    assert "probe" in get_commands()  # the command exists in the installed apps


def test_no_secret_is_baked_into_env_or_arg(dockerfile):
    for stage in dockerfile.stages:
        for instruction in ("ENV", "ARG"):
            for value in stage.all(instruction):
                for word in shlex.split(value):
                    key, _, default = word.partition("=")
                    assert not is_sensitive_key(key), f"{instruction} {key} in the image"
                    assert not re.search(r"://[^/@\s]+:[^/@\s]+@", default), word
    for key in dockerfile.parser.envs:
        assert not is_sensitive_key(key)
        assert key not in ("DATABASE_URL", "CACHE_URL", "EMAIL_URL", "SERVICE_AUTH_TOKEN")


def test_the_build_time_key_is_generated_and_never_literal(dockerfile):
    runs = " ".join(run for stage in dockerfile.stages for run in stage.all("RUN"))
    assignments = re.findall(r"SECRET_KEY=(\S+)", runs)
    assert assignments, "collectstatic needs a key at build time"
    for value in assignments:
        assert value.startswith('"$(python'), f"SECRET_KEY={value}"


def test_local_secrets_and_state_stay_out_of_the_build_context():
    for path in (".env", ".env.production", ".git", ".venv", "db.sqlite3", "media", "tests"):
        assert ignored(path), f"{path} must be in .dockerignore"
    assert not ignored(".env.example")


def test_every_copied_source_exists_and_is_in_the_context(dockerfile):
    for stage in dockerfile.stages:
        for value in stage.all("COPY"):
            flags, sources = copy_sources(value)
            if any(flag.startswith("--from=") for flag in flags):
                continue
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such path"
                assert not ignored(source), f"COPY {source}: excluded by .dockerignore"


def test_the_image_runs_the_entrypoint_then_gunicorn_with_its_config(dockerfile):
    entrypoint = dockerfile.exec_form("ENTRYPOINT")
    command = dockerfile.exec_form("CMD")

    script = dockerfile.local_path(entrypoint[0])
    assert script.endswith("deploy/entrypoint.sh")
    assert os.access(script, os.X_OK), "the entrypoint must be executable"
    assert command[0] == "gunicorn"
    config = command[command.index("--config") + 1]
    assert (ROOT / config).is_file()


def test_the_runtime_environment_names_the_app_and_settings(dockerfile):
    env = dockerfile.parser.envs
    assert env["WSGI_APP"] == "settings.wsgi:application"
    assert env["DJANGO_SETTINGS_MODULE"] == "settings.prod"
    assert dockerfile.final.last("EXPOSE") == env["PORT"]
    module, _, attribute = env["WSGI_APP"].partition(":")
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file()
    assert attribute == "application"


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "hadolint"), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
