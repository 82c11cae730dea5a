"""``manage.py startservice``: a new service on the suite, generated, tested, run and called.

The service is generated into a temporary directory (put on ``PYTHONPATH`` for the
subprocesses) and registered in a temporary copy of ``services/topology.toml``; the
repository's own file is never touched. The end-to-end test runs the generated tests, starts the
service in the runner's stack with the three demo services, logs a demo user in on the user
service and calls the new service with that user's session token through ``HTTPClient``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from services.runner import (
    TOPOLOGY_FILE,
    USER,
    ServiceSpec,
    load_topology,
    parse_service_tokens,
    per_service_database_url,
)
from services.user_service.roles import DEFAULT_DEMO_PASSWORD
from shared_core.http import HTTPClient
from tests.stack_support import start_stack

REPO = Path(__file__).resolve().parents[3]
PROBLEM = "application/problem+json"


def topology_copy(tmp_path: Path) -> Path:
    path = tmp_path / "topology.toml"
    path.write_text(TOPOLOGY_FILE.read_text())
    return path


def generate(tmp_path: Path, name: str = "inventory", **options: object) -> tuple[Path, Path]:
    """Generate ``name`` into ``tmp_path/src`` registered in a topology copy; return both."""
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    topology = tmp_path / "topology.toml"
    if not topology.exists():
        topology_copy(tmp_path)
    call_command(
        "startservice",
        name,
        directory=str(source),
        topology=str(topology),
        verbosity=0,
        **options,
    )
    return source, topology


def run_manage(source: Path, package: str, *args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", f"{package}.manage", *args],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{output}"
    return output


def test_it_writes_a_service_package_and_registers_it_in_the_topology(tmp_path):
    original = topology_copy(tmp_path).read_text()
    source, topology = generate(tmp_path)
    package = source / "inventory_service"
    written = {str(path.relative_to(package)) for path in package.rglob("*.py")}
    assert written == {
        "__init__.py",
        "settings.py",
        "urls.py",
        "wsgi.py",
        "manage.py",
        "inventory/__init__.py",
        "inventory/apps.py",
        "inventory/models.py",
        "inventory/serializers.py",
        "inventory/views.py",
        "inventory/urls.py",
        "inventory/admin.py",
        "inventory/tests.py",
        "inventory/migrations/__init__.py",
        "inventory/migrations/0001_initial.py",
    }
    settings = (package / "settings.py").read_text()
    assert "presets.service(" in settings and '"inventory-service"' in settings
    assert 'apps=["inventory_service.inventory"]' in settings
    assert "consumer=True" in settings
    assert "apipatterns.wsgi import ChunkedBodyMiddleware" in (package / "wsgi.py").read_text()
    assert "class Item(BaseModel)" in (package / "inventory" / "models.py").read_text()
    # Appended: the file's comments and tables are kept, the new table comes last.
    text = topology.read_text()
    assert text.startswith(original)
    specs = load_topology(topology)
    assert specs[-1] == ServiceSpec(
        "inventory-service",
        "inventory_service",
        8004,
        "inventory",
        calls=("user-service",),
        ready=("user-service",),
    )
    assert tomllib.loads(text)["service"][-1]["calls"] == ["user-service"]


def test_the_package_inside_services_is_named_after_it(tmp_path):
    services = tmp_path / "services"
    services.mkdir()
    (services / "__init__.py").write_text("")
    topology = topology_copy(services)
    call_command("startservice", "billing", directory=str(services), port=8100, verbosity=0)
    settings = (services / "billing_service" / "settings.py").read_text()
    assert 'package="services.billing_service"' in settings
    assert "parents[2]" in settings
    spec = load_topology(topology)[-1]
    assert (spec.name, spec.package, spec.default_port) == (
        "billing-service",
        "services.billing_service",
        8100,
    )


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("ticket", {}, "already has a service with name 'ticket-service'"),
        ("ticket-service", {}, "already has a service with name 'ticket-service'"),
        ("inventory", {"port": 8002}, "already has a service on port 8002"),
        ("Inventory", {}, "not a valid service name"),
        ("inventory-api", {}, "not a valid service name"),
        ("2inventory", {}, "not a valid service name"),
        ("class", {}, "not a valid service name"),
        ("inventory", {"port": 70000}, "not a TCP port"),
    ],
)
def test_a_taken_or_invalid_name_or_port_is_refused_and_nothing_is_written(
    tmp_path, name, options, message
):
    original = topology_copy(tmp_path).read_text()
    (tmp_path / "src").mkdir()
    with pytest.raises(CommandError, match=message):
        generate(tmp_path, name, **options)
    assert list((tmp_path / "src").iterdir()) == []
    assert (tmp_path / "topology.toml").read_text() == original


def test_an_existing_service_directory_or_slug_is_refused(tmp_path):
    generate(tmp_path)
    registered = (tmp_path / "topology.toml").read_text()
    with pytest.raises(CommandError, match="inventory_service already exists"):
        generate(tmp_path)
    # The same slug from another directory: the topology already has it.
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(CommandError, match="already has a service with name 'inventory-service'"):
        call_command(
            "startservice",
            "inventory",
            directory=str(other),
            topology=str(tmp_path / "topology.toml"),
            verbosity=0,
        )
    assert list(other.iterdir()) == []
    assert (tmp_path / "topology.toml").read_text() == registered


def test_a_missing_topology_file_named_explicitly_is_refused(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "startservice",
            "inventory",
            directory=str(tmp_path),
            topology=str(tmp_path / "nowhere.toml"),
            verbosity=0,
        )
    assert list(tmp_path.iterdir()) == []


def test_the_wheel_ships_the_service_template():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    assert "service_template/**/*" in package_data["shared_core"]
    templates = REPO / "shared_core" / "service_template"
    assert (templates / "settings.py-tpl").is_file()
    assert (templates / "service_name" / "migrations" / "0001_initial.py-tpl").is_file()


def subprocess_env(source: Path) -> dict[str, str]:
    """The environment of the generated service's own commands: its directory importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env["PYTHONPATH"] = os.pathsep.join([str(source), str(REPO)])
    env["SERVICE_AUTH_TOKEN"] = "generated-tests-token"
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith(("postgres://", "postgresql://")):
        # Its own database (and test database), apart from the one this run's tests use.
        env["DATABASE_URL"] = per_service_database_url(database, "startservice")
    else:
        env.pop("DATABASE_URL", None)
    return env


@pytest.mark.e2e
def test_a_generated_service_passes_its_tests_joins_the_stack_and_serves_a_demo_user(tmp_path):
    source, topology = generate(tmp_path)
    env = subprocess_env(source)
    package = "inventory_service"

    output = run_manage(source, package, "test", package, "--noinput", env=env)
    assert "Ran 5 tests" in output and "OK" in output, output
    assert "No changes detected" in run_manage(
        source, package, "makemigrations", "--check", "--dry-run", env=env
    )
    production = {
        **env,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "p" * 20 + "-a-real-production-secret-key-0123456789",
        "ALLOWED_HOSTS": "inventory-service",
        "DEBUG": "False",
    }
    assert "no issues" in run_manage(
        source, package, "check", "--deploy", "--fail-level", "WARNING", env=production
    )
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(REPO / "pyproject.toml"), source],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    services = load_topology(topology)
    inventory = services[-1]
    extra_env = {"PYTHONPATH": env["PYTHONPATH"], "DEMO_PASSWORD": DEFAULT_DEMO_PASSWORD}
    with start_stack(
        tmp_path / "stack",
        database_prefix="startservice",
        extra_env=extra_env,
        services=services,
    ) as stack:
        # Wired from the topology: the user service accepts the new service's token.
        accepted = parse_service_tokens(stack.service_env(USER)["ACCEPTED_SERVICE_TOKENS"])
        assert accepted[inventory.name] == stack.tokens[inventory.name]

        users = HTTPClient(f"{stack.url(USER.name)}/api/v1/", auth_token="", retries=0)
        login = users.post_json(
            "auth/login",
            {"email": "customer@example.com", "password": DEFAULT_DEMO_PASSWORD},
        )
        token = login["data"]["token"]
        me = users.get_json("users/me", headers={"X-Session-Token": token})["data"]

        items = HTTPClient(f"{stack.url(inventory.name)}/api/v1/", auth_token="", retries=0)
        as_customer = {"X-Session-Token": token}
        name = f"Widget {uuid.uuid4().hex[:6]}"
        created = items.post(
            "items", json={"name": name}, headers=as_customer, raise_for_status=False
        )
        assert created.status_code == 201, created.text
        item = created.json()["data"]
        assert item["owner_id"] == me["id"]
        listed = items.get_json("items", headers=as_customer)["data"]
        assert [each["name"] for each in listed] == [name]

        response = items.get("items", raise_for_status=False)
        assert response.status_code == 401
        assert response.headers["Content-Type"] == PROBLEM
        assert response.json()["code"] == "not_authenticated"

        ready = HTTPClient(stack.url(inventory.name), auth_token="", retries=0).get("ready")
        assert ready.status_code == 200, ready.text
