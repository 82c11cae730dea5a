"""Logging filters that put request context on every record and keep secrets out of logs."""

from __future__ import annotations

import logging

from shared_core.redaction import is_sensitive_key, redact_text, redact_value
from shared_core.request_id import get_request_id

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "service",
    "request_id",
}
# Values that cannot hold a secret whatever their key (the request line's status, duration, size).
_SCALARS = (int, float, bool, type(None))


class RequestContextFilter(logging.Filter):
    """Add ``service`` and ``request_id`` to every record (``-`` outside a request)."""

    def __init__(self, service_name: str = "-", name: str = "") -> None:
        super().__init__(name)
        self.service_name = service_name

    def filter(self, record: logging.LogRecord) -> bool:
        fields = vars(record)  # a missing attribute would cost getattr an exception
        if not fields.get("service"):
            record.service = self.service_name
        if not fields.get("request_id"):
            record.request_id = get_request_id() or "-"
        return True


class SecretRedactionFilter(logging.Filter):
    """Redact credentials, cookies, tokens and passwords from messages and ``extra`` fields."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        # Whether an ``extra`` key names a secret, per key: a program logs a handful of names.
        self._sensitive: dict[str, bool] = {}

    def _is_sensitive(self, key: str) -> bool:
        known = self._sensitive.get(key)
        if known is None:
            known = is_sensitive_key(key)
            if len(self._sensitive) < 4096:
                self._sensitive[key] = known
        return known

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        redacted = redact_text(message)
        if redacted != message or record.args:
            # Freeze the formatted, redacted message so no handler re-applies raw args.
            record.msg, record.args = redacted, None
        fields = vars(record)
        for key in fields.keys() - _STANDARD_ATTRS:
            value = fields[key]
            if isinstance(value, _SCALARS):
                continue
            if self._is_sensitive(key):
                fields[key] = redact_value(key, value)
            elif isinstance(value, str):
                fields[key] = redact_text(value)
            elif isinstance(value, dict | list | tuple):
                fields[key] = redact_value(key, value)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True
