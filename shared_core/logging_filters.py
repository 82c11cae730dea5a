"""Logging filters that put request context on every record and keep secrets out of logs."""

from __future__ import annotations

import logging

from shared_core.redaction import redact_text, redact_value
from shared_core.request_id import get_request_id

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "service",
    "request_id",
}


class RequestContextFilter(logging.Filter):
    """Add ``service`` and ``request_id`` to every record (``-`` outside a request)."""

    def __init__(self, service_name: str = "-", name: str = "") -> None:
        super().__init__(name)
        self.service_name = service_name

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "service", None):
            record.service = self.service_name
        if not getattr(record, "request_id", None):
            record.request_id = get_request_id() or "-"
        return True


class SecretRedactionFilter(logging.Filter):
    """Redact credentials, cookies, tokens and passwords from messages and ``extra`` fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        redacted = redact_text(message)
        if redacted != message or record.args:
            # Freeze the formatted, redacted message so no handler re-applies raw args.
            record.msg, record.args = redacted, None
        for key in set(vars(record)) - _STANDARD_ATTRS:
            value = getattr(record, key)
            if isinstance(value, str | dict | list | tuple):
                setattr(record, key, redact_value(key, value))
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True
