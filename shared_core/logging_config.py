"""The ``LOGGING`` dictionary every service uses (``dictConfig`` format)."""

from __future__ import annotations

import os
from typing import Any, Literal

LogFormat = Literal["text", "json"]


def _setting(name: str) -> str:
    """A ``shared_core`` setting; from the environment (or its default) before settings load."""
    from django.conf import settings

    from shared_core.conf import shared_core_settings

    if settings.configured:
        return str(getattr(shared_core_settings, name))
    return os.environ.get(name) or str(shared_core_settings.definition(name).get_default())


def get_logging_config(
    service_name: str | None = None,
    level: str | None = None,
    fmt: LogFormat | str | None = None,
) -> dict[str, Any]:
    """Return a ``dictConfig`` dict: every record carries time (UTC), level, service, logger,
    request ID and message, as one text line or one JSON object; secrets are redacted.

    Unset arguments come from ``SERVICE_NAME``, ``LOG_LEVEL`` and ``LOG_FORMAT``.
    """
    service_name = service_name or _setting("SERVICE_NAME")
    level = (level or _setting("LOG_LEVEL")).upper()
    fmt = (fmt or _setting("LOG_FORMAT")).lower()
    if fmt not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {fmt!r}")
    # Libraries that are chatty at DEBUG (every SQL statement, every file watched) stay at INFO.
    quiet_level = "INFO" if level == "DEBUG" else level
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_context": {
                "()": "shared_core.logging_filters.RequestContextFilter",
                "service_name": service_name,
            },
            "redact_secrets": {"()": "shared_core.logging_filters.SecretRedactionFilter"},
        },
        "formatters": {
            "text": {"()": "shared_core.logging_formatters.TextFormatter"},
            "json": {"()": "shared_core.logging_formatters.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": fmt,
                "filters": ["request_context", "redact_secrets"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Replace Django's default handlers so every line goes through ours exactly once.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "django.db.backends": {"level": quiet_level},
            "django.utils.autoreload": {"level": quiet_level},
            # Every failed variable lookup in a template, with its traceback (the debug pages).
            "django.template": {"level": quiet_level},
            "urllib3": {"level": quiet_level},
        },
    }
