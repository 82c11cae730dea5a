"""docker-compose.yml is consistent with the runner and the services' settings.

No Docker engine runs here, so the file is parsed and checked: every service's command, env,
ports, healthcheck and depends_on must agree with what ``services.runner`` starts and with what
the settings modules read.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from services.runner import (
    FILE,
    SERVICES,
    SERVICES_BY_NAME,
    USER,
    ServiceSpec,
    Stack,
    callers_of,
    parse_service_tokens,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES_YML = COMPOSE["services"]
ENV_EXAMPLE = dict(
    re.findall(r"^([A-Z_][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(), re.M)
)
DOCUMENTED = set(
    re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
)
_INTERPOLATION = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:?-|:\?)([^}]*))?\}")
# What compose must be given (its .env): the one secret production settings cannot default.
REQUIRED = {"SECRET_KEY": "a-real-secret-key-from-the-users-own-dot-env-file-0123456789"}


def interpolate(value: str) -> str:
    """Resolve ``${VAR:-default}`` the way compose does with only ``REQUIRED`` in ``.env``."""

    def replace(match: re.Match[str]) -> str:
        name, operator, default = match.groups()
        if operator == ":?":
            assert name in REQUIRED, f"${{{name}:?}}: `docker compose up` needs it in .env"
            return REQUIRED[name]
        assert default is not None, f"${{{name}}} has no default: `docker compose up` would fail"
        return default

    return _INTERPOLATION.sub(replace, value)


def env_of(name: str) -> dict[str, str]:
    return {
        key: interpolate(str(value)) for key, value in SERVICES_YML[name]["environment"].items()
    }


def migrate_step(spec: ServiceSpec) -> str:
    return f"{spec.slug}-migrate"


def test_the_stack_has_the_expected_parts():
    assert set(SERVICES_YML) == {
        "postgres",
        "redis",
        *(spec.name for spec in SERVICES),
        *(migrate_step(spec) for spec in SERVICES),
    }
    for spec in SERVICES:
        assert SERVICES_YML[spec.name]["build"] == "."
        assert SERVICES_YML[spec.name]["image"] == SERVICES_YML[migrate_step(spec)]["image"]
    # One image for all three services.
    assert len({SERVICES_YML[spec.name]["image"] for spec in SERVICES}) == 1


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_service_runs_the_same_app_and_settings_as_the_runner(spec):
    env = env_of(spec.name)
    assert env["DJANGO_SETTINGS_MODULE"] == spec.settings_module
    assert env["WSGI_APP"] == spec.wsgi_app
    module, _, attribute = spec.wsgi_app.partition(":")
    assert attribute == "application"
    for dotted in (spec.settings_module, module, spec.manage_module):
        assert importlib.util.find_spec(dotted) is not None, f"{dotted} is not importable"
    # The runner's environment for this service sets the same variables compose sets.
    runner_env = Stack(env={}).service_env(spec)
    assert runner_env["WSGI_APP"] == env["WSGI_APP"]
    assert runner_env["DJANGO_SETTINGS_MODULE"] == env["DJANGO_SETTINGS_MODULE"]
    shared = {"DJANGO_SETTINGS_MODULE", "WSGI_APP", "PORT", "DATABASE_URL", "IDENTITY_SERVICE_URL"}
    shared |= {"ACCEPTED_SERVICE_TOKENS", "HEALTHCHECK_DEPENDENCIES"}
    if spec is not USER:
        shared.add("SERVICE_AUTH_TOKEN")
    if spec is FILE:
        shared |= {"MEDIA_ROOT", "TICKET_SERVICE_URL"}
    assert shared <= set(runner_env)
    assert shared <= set(env)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_ports_and_healthcheck(spec):
    service = SERVICES_YML[spec.name]
    env = env_of(spec.name)
    (mapping,) = service["ports"]
    match = re.fullmatch(r"\$\{([A-Z_]+):-(\d+)\}:(\d+)", mapping)
    assert match, mapping
    variable, host_port, container_port = match.groups()
    # The host side is the runner's port and variable; the container side is where gunicorn
    # listens (PORT) and what the other services and the healthcheck call.
    assert variable == f"{spec.env_prefix}_PORT"
    assert int(host_port) == spec.default_port == int(ENV_EXAMPLE[variable])
    assert container_port == env["PORT"]
    test = service["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert test[1:] == ["python", "-m", "django", "probe", "/health"]
    assert importlib.util.find_spec("healthchecks.management.commands.probe") is not None


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_migrate_step_runs_first_on_the_same_database(spec):
    step = SERVICES_YML[migrate_step(spec)]
    command = step["command"]
    command = command if isinstance(command, str) else " ".join(command)
    assert f"python -m {spec.manage_module} migrate --noinput" in " ".join(command.split())
    assert step["restart"] == "no"
    assert step["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert env_of(migrate_step(spec)) == env_of(spec.name)
    depends = SERVICES_YML[spec.name]["depends_on"]
    assert depends[migrate_step(spec)]["condition"] == "service_completed_successfully"
    assert depends["redis"]["condition"] == "service_healthy"


def test_user_migrate_step_seeds_the_demo_users():
    command = " ".join(SERVICES_YML[migrate_step(USER)]["command"].split())
    assert command.index("migrate --noinput") < command.index(f"{USER.manage_module} seed_demo")
    assert (
        importlib.util.find_spec("services.user_service.roles.management.commands.seed_demo")
        is not None
    )


def test_each_service_waits_for_the_services_it_calls_as_the_topology_says():
    for spec in SERVICES:
        env = env_of(spec.name)
        depends = SERVICES_YML[spec.name]["depends_on"]
        upstream = {name for name in depends if name in SERVICES_BY_NAME}
        assert upstream == set(spec.calls)
        for name in upstream:
            assert depends[name]["condition"] == "service_healthy"
        # /ready checks exactly the topology's services, at their compose address.
        dependencies = json.loads(env["HEALTHCHECK_DEPENDENCIES"])
        assert dependencies == {
            name: f"http://{name}:{env_of(name)['PORT']}/health" for name in spec.ready
        }
        runner_dependencies = json.loads(
            Stack(env={}).service_env(spec)["HEALTHCHECK_DEPENDENCIES"]
        )
        assert set(runner_dependencies) == set(dependencies)
        # Every service finds the others at their compose name, under the topology's variable.
        for other in SERVICES:
            if other.url_env:
                assert env[other.url_env] == f"http://{other.name}:{env_of(other.name)['PORT']}"
        hosts = env["ALLOWED_HOSTS"].split(",")
        assert spec.name in hosts and "localhost" in hosts  # called by name; probed by localhost


def test_service_tokens_match_the_topologys_call_graph():
    def accepted(name: str) -> dict[str, str]:
        return parse_service_tokens(env_of(name)["ACCEPTED_SERVICE_TOKENS"])

    sent = {}
    for spec in SERVICES:
        if spec.calls:
            sent[spec.name] = env_of(spec.name)["SERVICE_AUTH_TOKEN"]
            assert sent[spec.name]
        else:
            assert "SERVICE_AUTH_TOKEN" not in env_of(spec.name)  # it calls nobody
    assert len(set(sent.values())) == len(sent)  # one token per caller
    stack = Stack(env={})
    for spec in SERVICES:
        # Each callee accepts exactly its callers, each with the token that caller sends.
        assert accepted(spec.name) == {name: sent[name] for name in callers_of(spec)}
        # The runner trusts the same callers.
        runner = parse_service_tokens(stack.service_env(spec)["ACCEPTED_SERVICE_TOKENS"])
        assert list(runner) == callers_of(spec)


def test_one_database_per_service_created_by_the_init_script():
    postgres = SERVICES_YML["postgres"]
    created = postgres["environment"]["POSTGRES_MULTIPLE_DATABASES"].split(",")
    names = []
    for spec in SERVICES:
        url = env_of(spec.name)["DATABASE_URL"]
        assert url.startswith("postgres://") and "@postgres:5432/" in url
        names.append(url.rsplit("/", 1)[1])
    assert sorted(names) == sorted(created)
    assert len(set(names)) == 3
    (script_mount,) = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    source = ROOT / script_mount.split(":", 1)[0]
    assert source.is_file() and os.access(source, os.X_OK)
    assert "POSTGRES_MULTIPLE_DATABASES" in source.read_text()
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert SERVICES_YML["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    for spec in SERVICES:
        assert env_of(spec.name)["CACHE_URL"].startswith("redis://redis:6379/")


def test_uploaded_files_live_on_a_volume_at_the_file_services_media_root():
    media_root = env_of(FILE.name)["MEDIA_ROOT"]
    volumes = SERVICES_YML[FILE.name]["volumes"]
    assert f"files:{media_root}" in volumes
    assert "files" in COMPOSE["volumes"]
    settings_source = (ROOT / "services" / "file_service" / "settings.py").read_text()
    assert 'env.str("MEDIA_ROOT"' in settings_source
    assert "HEALTHCHECK_STORAGE = True" in settings_source


def test_the_user_services_outbox_lives_on_a_volume_the_image_prepares():
    assert "mail:/app/var/mail" in SERVICES_YML[USER.name]["volumes"]
    assert "mail" in COMPOSE["volumes"]
    assert "/app/var/mail" in (ROOT / "Dockerfile").read_text()
    example = (ROOT / ".env.example").read_text()
    assert "EMAIL_URL=filemail://" in example and "consolemail://\n" not in example


def test_env_comes_from_env_example_and_every_variable_is_documented():
    for spec in SERVICES:
        service = SERVICES_YML[spec.name]
        env_files = [entry["path"] for entry in service["env_file"]]
        assert env_files[0] == ".env.example"
        assert all(entry.get("required", True) is False for entry in service["env_file"][1:])
        undocumented = set(service["environment"]) - DOCUMENTED
        assert not undocumented, f"not in .env.example: {sorted(undocumented)}"
    # Every ${VAR:-default} default is the value .env.example documents.
    text = (ROOT / "docker-compose.yml").read_text()
    for name, operator, default in _INTERPOLATION.findall(text):
        assert name in ENV_EXAMPLE, f"{name} is not in .env.example"
        if operator != ":?":
            assert default == ENV_EXAMPLE[name], f"{name}: compose says {default!r}"


def test_services_run_the_images_command_like_the_runner():
    dockerfile = (ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD\s+(\[.*\])\s*$", dockerfile, re.M)
    image_command = json.loads(cmd)
    runner_command = Stack(env={}).server_command()
    # The runner runs the image's CMD with its own interpreter: python -m gunicorn --config …
    assert runner_command[1:3] == ["-m", image_command[0]]
    assert runner_command[3] == image_command[1]
    assert Path(runner_command[4]) == ROOT / image_command[2]
    for spec in SERVICES:
        assert "command" not in SERVICES_YML[spec.name]  # the image's CMD, unchanged
    # The files volume is the directory the image prepares for the non-root user.
    assert "/app/media" in dockerfile and env_of(FILE.name)["MEDIA_ROOT"] == "/app/media"


@pytest.mark.parametrize(("redirect", "status"), [(None, 404), ("True", 301)])
def test_the_compose_environment_serves_plain_http_under_production_settings(redirect, status):
    # docker compose gives every service .env.example; under settings.prod (the image's default)
    # plain http on localhost must answer, not redirect to https (TLS terminates in front of a
    # real deployment, which sets SECURE_SSL_REDIRECT=True: the second case).
    import secrets
    import subprocess
    import sys

    from tests.servers import process_env

    env = dict(ENV_EXAMPLE)
    env.update(
        DJANGO_SETTINGS_MODULE="settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL="sqlite:///:memory:",
    )
    if redirect:
        env["SECURE_SSL_REDIRECT"] = redirect
    script = (
        "import django; django.setup(); from django.test import Client; "
        "print(Client().get('/no-such-page', HTTP_HOST='localhost').status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=process_env(**env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == str(status)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_every_service_and_migrate_step_runs_production_settings(spec):
    for name in (spec.name, migrate_step(spec)):
        env = env_of(name)
        assert env["DJANGO_ENV"] == "production"
        # The development key in .env.example is refused there: compose asks for the user's own.
        assert SERVICES_YML[name]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
