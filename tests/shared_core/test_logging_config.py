"""The logging configuration: text and JSON lines carrying service, logger and request ID."""

import json
import logging
import re

import pytest

from shared_core.logging_config import get_logging_config
from shared_core.request_id import request_id_context

ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00"


def test_text_format_is_one_readable_line(log_output):
    stream = log_output("text", service_name="ticket-service")
    with request_id_context("req-123"):
        logging.getLogger("tickets.api").info("created ticket %s", 42)
    line = stream.getvalue().strip()
    assert re.fullmatch(
        ISO_UTC + r" INFO ticket-service tickets\.api \[req-123\] created ticket 42", line
    ), line


def test_json_format_is_one_object_per_line_with_every_field(log_output):
    stream = log_output("json", service_name="file-service")
    with request_id_context("req-456"):
        logging.getLogger("files").warning("stored %s", "a.txt", extra={"size": 10})
    logging.getLogger("files").error("outside a request")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert re.fullmatch(ISO_UTC, first["timestamp"])
    assert first["level"] == "WARNING"
    assert first["service"] == "file-service"
    assert first["logger"] == "files"
    assert first["request_id"] == "req-456"
    assert first["message"] == "stored a.txt"
    assert first["size"] == 10
    assert second["request_id"] == "-"


def test_level_filters_records(log_output):
    stream = log_output("text", level="WARNING")
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").warning("shown")
    assert "hidden" not in stream.getvalue()
    assert "shown" in stream.getvalue()


def test_defaults_come_from_settings(settings):
    settings.SERVICE_NAME = "from-settings"
    settings.LOG_LEVEL = "ERROR"
    settings.LOG_FORMAT = "json"
    config = get_logging_config()
    assert config["filters"]["request_context"]["service_name"] == "from-settings"
    assert config["root"]["level"] == "ERROR"
    assert config["handlers"]["console"]["formatter"] == "json"


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        get_logging_config(fmt="xml")


def test_dev_logs_at_debug_and_prod_at_info(monkeypatch):
    import importlib

    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "api.example.com")
    dev = importlib.import_module("settings.dev")
    prod = importlib.import_module("settings.prod")
    importlib.reload(dev)
    importlib.reload(prod)
    assert dev.LOGGING["root"]["level"] == "DEBUG"
    assert prod.LOGGING["root"]["level"] == "INFO"
    assert prod.LOGGING["handlers"]["console"]["formatter"] == "json"
