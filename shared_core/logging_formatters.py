"""Log formatters: one readable text line, or one JSON object per line; UTC ISO 8601 times."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(service)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "service", "name", "request_id", "message")


def _utc_iso(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """One human-readable line: time, level, service, logger, request ID, message."""

    def __init__(self, fmt: str = TEXT_FORMAT, **kwargs: object) -> None:
        super().__init__(fmt, **kwargs)  # type: ignore[arg-type]

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record)


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line with ``timestamp``, ``level``, ``service``, ``logger``,
    ``request_id``, ``message`` and any ``extra=`` fields."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("fmt", list(JSON_FIELDS))
        kwargs.setdefault(
            "rename_fields", {"asctime": "timestamp", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc_iso(record)
