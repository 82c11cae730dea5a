"""settings.services and the demo services' settings modules: own name, database and cache."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from settings.services import (
    consumer_installed_apps,
    consumer_rest_framework,
    service_caches,
    service_database,
)

ROOT = Path(__file__).resolve().parents[2]
SERVICE_SETTINGS = {
    "user-service": "services.user_service.settings",
    "ticket-service": "services.ticket_service.settings",
    "file-service": "services.file_service.settings",
}


def test_service_database_defaults_to_its_own_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = service_database("ticket")["default"]
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(ROOT / "var" / "ticket.sqlite3")
    # A threaded server on one SQLite file needs these, or it fails with "database is locked".
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert config["CONN_HEALTH_CHECKS"] is True


def test_service_database_follows_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/ticket_service")
    config = service_database("ticket")["default"]
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
    env.update({"DJANGO_SETTINGS_MODULE": module, "SERVICE_NAME": "from-env-ignored"})
    code = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.SERVICE_NAME, s.DATABASES['default']['NAME'], s.ROOT_URLCONF, s.WSGI_APPLICATION,"
        "s.CACHES['default']['KEY_PREFIX'],"
        "s.LOGGING['filters']['request_context']['service_name']]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
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
    sources = [ROOT / "settings" / "services.py", ROOT / "services" / "runner.py"]
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
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = module
    code = (
        "import django, json; django.setup(); from django.apps import apps;"
        "from django.contrib import admin;"
        "print(json.dumps(sorted(m._meta.label for m in apps.get_models()"
        " if admin.site.is_registered(m))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_the_user_service_admin_keeps_the_identity_models():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "services.user_service.settings"
    code = (
        "import django; django.setup(); from django.contrib import admin;"
        "from accounts.models import User; from allauth.usersessions.models import UserSession;"
        "print(admin.site.is_registered(User), admin.site.is_registered(UserSession))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_consumer_installed_apps_swaps_only_the_admin():
    apps = ["django.contrib.admin", "django.contrib.auth", "accounts"]
    assert consumer_installed_apps(apps) == [
        "accounts.admin_site.ConsumerAdminConfig",
        "django.contrib.auth",
        "accounts",
    ]
