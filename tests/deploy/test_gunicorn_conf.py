"""deploy/gunicorn.conf.py: every value from the environment, logging through LOGGING."""

from __future__ import annotations

import logging
import runpy

import pytest
from django.conf import settings

from tests.deploy.conftest import production_env
from tests.deploy.test_entrypoint import run
from tests.servers import ROOT

CONFIG = str(ROOT / "deploy" / "gunicorn.conf.py")


def load(monkeypatch, **env: str) -> dict:
    for name in ("WSGI_APP", "HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONFIG)


def test_defaults(monkeypatch):
    config = load(monkeypatch)

    assert config["wsgi_app"] == "settings.wsgi:application"
    assert config["bind"] == ["0.0.0.0:8000"]
    assert config["workers"] == 2
    assert config["worker_class"] == "gthread"
    assert config["threads"] == 4


def test_values_come_from_the_environment(monkeypatch):
    config = load(
        monkeypatch,
        WSGI_APP="services.user_service.wsgi:application",
        HOST="127.0.0.1",
        PORT="8001",
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="8",
    )

    assert config["wsgi_app"] == "services.user_service.wsgi:application"
    assert config["bind"] == ["127.0.0.1:8001"]
    assert config["workers"] == 5
    assert config["threads"] == 8


def test_gunicorn_logs_through_the_application_logging(monkeypatch):
    logconfig = load(monkeypatch)["logconfig_dict"]

    assert logconfig["handlers"] == settings.LOGGING["handlers"]
    assert logconfig["formatters"] == settings.LOGGING["formatters"]
    for name in ("gunicorn.error", "gunicorn.access"):
        assert logconfig["loggers"][name]["handlers"] == []
        assert logconfig["loggers"][name]["propagate"] is True


def test_access_records_get_the_request_id_from_the_response_header(monkeypatch):
    access_filter = load(monkeypatch)["AccessRequestIDFilter"]()
    record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "%(r)s", None, None)
    record.args = {"r": "GET /ready HTTP/1.1", "{x-request-id}o": "abc123"}

    assert access_filter.filter(record) is True
    assert record.request_id == "abc123"


@pytest.mark.parametrize(
    ("variable", "value"), [("WEB_CONCURRENCY", "many"), ("PORT", "0"), ("GUNICORN_THREADS", "-2")]
)
def test_gunicorn_refuses_nonsense_settings(dockerfile, variable, value):
    env = production_env(dockerfile, **{"PORT": "8000", variable: value})
    result = run(["gunicorn", "--config", "deploy/gunicorn.conf.py", "--check-config"], env, 60)

    assert result.returncode != 0
    assert variable in result.stdout + result.stderr
