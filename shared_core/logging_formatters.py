"""Log formatters: one readable text line, or one JSON object per line; UTC ISO 8601 times."""

from __future__ import annotations

import logging
import time
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonEncoder
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(service)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("asctime", "levelname", "service", "name", "request_id", "message")


class _UTCClock:
    """``record.created`` as ISO 8601 in UTC with milliseconds (``2026-01-31T12:00:00.123+00:00``).

    The part up to the second is kept for the current second: a busy service logs many lines in
    one second, and ``time.strftime`` is the costly part.
    """

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, created: float) -> str:
        second = int(created)
        millis = int((created - second) * 1000)
        prefix = self._prefix
        if second != self._second:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second, self._prefix = second, prefix
        return f"{prefix}.{millis:03d}+00:00"


class TextFormatter(logging.Formatter):
    """One human-readable line: time, level, service, logger, request ID, message."""

    def __init__(self, fmt: str = TEXT_FORMAT, **kwargs: object) -> None:
        super().__init__(fmt, **kwargs)  # type: ignore[arg-type]
        self._clock = _UTCClock()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self._clock(record.created)


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line with ``timestamp``, ``level``, ``service``, ``logger``,
    ``request_id``, ``message`` and any ``extra=`` fields.

    python-json-logger's formatter, with its two documented extension points set for a line per
    request: one ``JsonEncoder`` for every line (``json_serializer``) and ``add_fields`` copying
    the record's ``extra`` fields in one pass.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", list(JSON_FIELDS))
        kwargs.setdefault(
            "rename_fields", {"asctime": "timestamp", "levelname": "level", "name": "logger"}
        )
        ensure_ascii = kwargs.pop("json_ensure_ascii", False)
        encode = JsonEncoder(ensure_ascii=ensure_ascii).encode
        kwargs.setdefault("json_serializer", lambda data, **_: encode(data))
        super().__init__(json_ensure_ascii=ensure_ascii, **kwargs)
        self._clock = _UTCClock()
        renames = self.rename_fields
        self._fields = tuple((name, renames.get(name, name)) for name in kwargs["fmt"])
        self._not_extra = frozenset(RESERVED_ATTRS) | set(kwargs["fmt"]) | {"message", "asctime"}

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self._clock(record.created)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        """The named fields, then a dict message's keys, then the record's ``extra`` fields."""
        fields = vars(record)
        for name, key in self._fields:
            log_data[key] = fields.get(name)
        renames = self.rename_fields
        for key, value in message_dict.items():
            log_data[renames.get(key, key)] = value
        not_extra = self._not_extra
        for key, value in fields.items():
            if key not in not_extra and key[:1] != "_":
                log_data[renames.get(key, key)] = value
