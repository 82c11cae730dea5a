"""The demo services' settings modules on the presets: own name, database, cache; production."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared_core.presets import (
    consumer_installed_apps,
    consumer_rest_framework,
    database,
    service_caches,
)

ROOT = Path(__file__).resolve().parents[2]
SERVICE_SETTINGS = {
    "user-service": "services.user_service.settings",
    "ticket-service": "services.ticket_service.settings",
    "file-service": "services.file_service.settings",
}


def service_database(slug: str) -> dict:
    """What a demo service's presets ask for: its own SQLite file unless DATABASE_URL is set."""
    return database(f"sqlite:///{ROOT / 'var' / f'{slug}.sqlite3'}", server=True)


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (settings are read once per process)."""
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_service_database_defaults_to_its_own_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = service_database("ticket")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(ROOT / "var" / "ticket.sqlite3")
    # A threaded server on one SQLite file needs these, or it fails with "database is locked".
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["CONN_HEALTH_CHECKS"] is True


def test_service_database_follows_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/ticket_service")
    config = service_database("ticket")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "ticket_service"
    assert "OPTIONS" not in config or "transaction_mode" not in config["OPTIONS"]


def test_service_caches_prefix_keys_with_the_service_name(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/3")
    config = service_caches("file-service")["default"]
    assert config["BACKEND"] == "shared_core.cache.FailSafeRedisCache"
    assert config["KEY_PREFIX"] == "file-service"


def test_every_service_shares_one_identity_cache_for_introspections_and_revocations(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/3")
    identities = [service_caches(name)["identity"] for name in ("user-service", "file-service")]
    assert identities[0] == identities[1]
    assert identities[0]["BACKEND"] == "shared_core.cache.FailSafeRedisCache"
    assert identities[0]["KEY_PREFIX"] == "identity"
    monkeypatch.setenv("CACHE_URL", "")
    local = service_caches("file-service")
    assert local["identity"]["BACKEND"].endswith("LocMemCache")
    assert local["identity"]["LOCATION"] != local["default"].get("LOCATION")


@pytest.mark.parametrize(("name", "module"), SERVICE_SETTINGS.items())
def test_each_service_has_its_own_name_database_and_urls(name, module, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": module,
            "DJANGO_ENV": "development",
            "SERVICE_NAME": "from-env-ignored",
        }
    )
    code = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.SERVICE_NAME, s.DATABASES['default']['NAME'], s.ROOT_URLCONF, s.WSGI_APPLICATION,"
        "s.CACHES['default']['KEY_PREFIX'],"
        "s.LOGGING['filters']['request_context']['service_name']]))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    service_name, db_name, urlconf, wsgi, prefix, log_name = json.loads(result.stdout)
    package = module.rsplit(".", 1)[0]
    assert service_name == prefix == log_name == name
    assert db_name == str(ROOT / "var" / f"{name.split('-')[0]}.sqlite3")
    assert urlconf == f"{package}.urls"
    assert wsgi == f"{package}.wsgi.application"


def test_every_variable_the_services_read_is_documented():
    documented = set(
        re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    sources = [
        ROOT / "shared_core" / "presets.py",
        ROOT / "services" / "runner.py",
    ]
    sources += [
        ROOT / "services" / f"{n}_service" / "settings.py" for n in ("user", "ticket", "file")
    ]
    read: set[str] = set()
    for source in sources:
        text = source.read_text()
        read |= set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z_][A-Z0-9_]*)\"", text))
        read |= set(re.findall(r"env\.get\(\s*f?\"([A-Z_][A-Z0-9_]*)\"", text))
    read |= {f"{n}_SERVICE_{suffix}" for n in ("USER", "TICKET", "FILE") for suffix in ("PORT",)}
    read |= {f"{n}_SERVICE_DATABASE_URL" for n in ("USER", "TICKET", "FILE")}
    read |= {"TICKET_SERVICE_TOKEN", "FILE_SERVICE_TOKEN", "DEMO_PASSWORD"}
    assert read <= documented, f"undocumented in .env.example: {sorted(read - documented)}"


def test_consumer_rest_framework_authenticates_services_then_remote_sessions():
    base = {"DEFAULT_RENDERER_CLASSES": ["x.Renderer"], "DEFAULT_AUTHENTICATION_CLASSES": ["y"]}
    config = consumer_rest_framework(base)
    assert config["DEFAULT_RENDERER_CLASSES"] == ["x.Renderer"]
    assert config["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "accounts.authentication.ServiceTokenAuthentication",
        "accounts.authentication.RemoteSessionAuthentication",
    ]
    assert config["DEFAULT_PERMISSION_CLASSES"] == ["rest_framework.permissions.IsAuthenticated"]
    assert base["DEFAULT_AUTHENTICATION_CLASSES"] == ["y"]  # the base settings are not mutated


# --- Production is the default for services --------------------------------------------------
def service_env(module: str, **extra: str) -> dict[str, str]:
    """The environment a deployed service gets: production settings, a real secret key."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECRET_KEY", "SERVICE_AUTH_TOKEN", "DEBUG"))
        and k not in ("DATABASE_URL", "CACHE_URL", "ALLOWED_HOSTS")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": module,
            "SECRET_KEY": "p" * 20 + "-a-real-production-secret-key-0123456789",
            "ALLOWED_HOSTS": "user-service,ticket-service,file-service",
            "SERVICE_AUTH_TOKEN": "a-token-the-user-service-accepts",
        }
    )
    env.update(extra)
    return env


def run_service_manage(module: str, *args: str, env: dict[str, str]):
    manage = module.rsplit(".", 1)[0] + ".manage"
    return subprocess.run(
        [sys.executable, "-m", manage, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("module", SERVICE_SETTINGS.values())
def test_check_deploy_is_clean_for_each_service_under_production(module):
    env = service_env(module, DJANGO_ENV="production")
    result = run_service_manage(module, "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("module", SERVICE_SETTINGS.values())
def test_production_is_the_default_of_each_services_wsgi_settings(module):
    # No DJANGO_ENV: the WSGI entry point (gunicorn) gets production, which refuses the dev key.
    env = service_env(module, SECRET_KEY="django-insecure-dev-only-change-me")
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = run_python(code, env)
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


@pytest.mark.parametrize(
    "module", [SERVICE_SETTINGS["ticket-service"], SERVICE_SETTINGS["file-service"]]
)
def test_a_consumer_service_without_service_auth_token_fails_its_checks(module):
    env = service_env(module, DJANGO_ENV="production", SERVICE_AUTH_TOKEN="")
    result = run_service_manage(module, "check", env=env)
    assert result.returncode != 0
    assert "accounts.E006" in result.stderr
    assert "HINT: Add SERVICE_AUTH_TOKEN=" in result.stderr


def test_the_identity_service_needs_no_service_auth_token():
    module = SERVICE_SETTINGS["user-service"]
    result = run_service_manage(
        module, "check", env=service_env(module, DJANGO_ENV="production", SERVICE_AUTH_TOKEN="")
    )
    assert result.returncode == 0, result.stderr


def test_a_service_reads_its_secrets_from_files(tmp_path):
    module = SERVICE_SETTINGS["ticket-service"]
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "secret_key").write_text("f" * 20 + "-a-real-production-key-from-a-file-0123\n")
    (secrets_dir / "service_auth_token").write_text("token-from-a-mounted-secret\n")
    (secrets_dir / "accepted").write_text("file-service=file-token\n")
    env = service_env(module, DJANGO_ENV="production")
    for name in ("SECRET_KEY", "SERVICE_AUTH_TOKEN"):
        del env[name]
    env.update(
        SECRET_KEY_FILE=str(secrets_dir / "secret_key"),
        SERVICE_AUTH_TOKEN_FILE=str(secrets_dir / "service_auth_token"),
        ACCEPTED_SERVICE_TOKENS_FILE=str(secrets_dir / "accepted"),
    )
    code = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.SECRET_KEY[:20], s.SERVICE_AUTH_TOKEN, s.ACCEPTED_SERVICE_TOKENS]))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "f" * 20,
        "token-from-a-mounted-secret",
        {"file-service": "file-token"},
    ]


@pytest.mark.postgres_only
def test_a_service_connects_through_djangos_pool_with_pool_true(db):
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection

    # The test database pytest-django made (it exists on every PostgreSQL server CI uses).
    parts = urlsplit(os.environ["DATABASE_URL"])
    query = "&".join(filter(None, [parts.query, "pool=true"]))
    url = urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}", query=query))
    module = SERVICE_SETTINGS["ticket-service"]
    env = service_env(module, DJANGO_ENV="development", DATABASE_URL=url)
    code = (
        "import django; django.setup(); from django.db import connection; "
        "cursor = connection.cursor(); cursor.execute('SELECT 1'); "
        "print(type(connection.pool).__name__, cursor.fetchone()[0]); connection.close(); "
        "print(connection.pool.get_stats()['pool_size'] >= 1)"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ConnectionPool", "1", "True"]


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("services.ticket_service.settings", ["tickets.Comment", "tickets.Ticket"]),
        ("services.file_service.settings", ["files.StoredFile"]),
    ],
)
def test_consumer_services_admin_lists_only_their_own_models(module, expected):
    # The service's real settings, in its own process: no Users, Groups, social accounts,
    # user sessions or Sites, which live in the user service.
    env = service_env(module, DJANGO_ENV="production")
    code = (
        "import django, json; django.setup(); from django.apps import apps;"
        "from django.contrib import admin;"
        "print(json.dumps(sorted(m._meta.label for m in apps.get_models()"
        " if admin.site.is_registered(m))))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_the_user_service_admin_keeps_the_identity_models():
    env = service_env("services.user_service.settings", DJANGO_ENV="production")
    code = (
        "import django; django.setup(); from django.contrib import admin;"
        "from accounts.models import User; from allauth.usersessions.models import UserSession;"
        "print(admin.site.is_registered(User), admin.site.is_registered(UserSession))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_consumer_installed_apps_swaps_only_the_admin():
    apps = ["django.contrib.admin", "django.contrib.auth", "accounts"]
    assert consumer_installed_apps(apps) == [
        "accounts.admin_site.ConsumerAdminConfig",
        "django.contrib.auth",
        "accounts",
    ]
