"""Base settings: every value from the environment, importable from anywhere, documented."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_ENV = {
    "SECRET_KEY": "k" * 20 + "-real-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "api.example.com",
}


def run_manage(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=clean,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_import_from_any_working_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ENV_FILE")}
    env.update({"DJANGO_SETTINGS_MODULE": "settings.dev", "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['NAME'])",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(ROOT / "db.sqlite3")


@pytest.mark.parametrize(
    ("variable", "value", "expression", "expected"),
    [
        (
            "DATABASE_URL",
            "postgres://u:p@db:5432/tickets",
            "DATABASES['default']['NAME']",
            "tickets",
        ),
        (
            "CACHE_URL",
            "redis://cache:6379/2",
            "CACHES['default']['BACKEND']",
            "shared_core.cache.FailSafeRedisCache",
        ),
        ("SERVICE_NAME", "ticket-service", "SERVICE_NAME", "ticket-service"),
        ("DEBUG", "false", "DEBUG", "False"),
        ("LOG_FORMAT", "json", "LOGGING['handlers']['console']['formatter']", "json"),
        ("HTTP_CLIENT_READ_TIMEOUT", "2.5", "HTTP_CLIENT_READ_TIMEOUT", "2.5"),
    ],
)
def test_values_come_from_the_environment(variable, value, expression, expected):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.dev", variable: value}
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{expression})"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_env_file_is_read_when_present(tmp_path):
    env_file = tmp_path / "custom.env"
    env_file.write_text("SERVICE_NAME=from-dotenv\n")
    env = {k: v for k, v in os.environ.items() if k != "SERVICE_NAME"}
    env.update({"DJANGO_SETTINGS_MODULE": "settings.dev", "ENV_FILE": str(env_file)})
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SERVICE_NAME)"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "from-dotenv", result.stderr


def test_env_example_documents_every_variable_the_presets_read():
    import re

    # settings.base is the presets (shared_core.presets) plus the repository's own names.
    sources = [ROOT / "settings" / "base.py", ROOT / "shared_core" / "presets.py"]
    text = "\n".join(source.read_text() for source in sources)
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z_]+)\"", text)) - {"ENV_FILE"}
    assert {"SECRET_KEY", "DJANGO_ENV", "HEALTHCHECK_TIMEOUT", "API_TITLE"} <= read
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read <= documented, f"undocumented in .env.example: {sorted(read - documented)}"
