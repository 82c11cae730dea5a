"""``Retry-After``: read in one place, written in one place (RFC 9110 §10.2.3).

Both forms are read (delta-seconds and an HTTP-date) with urllib3's public
``Retry.parse_retry_after``, the parser the HTTP client's retries use; an answer is always written
as whole seconds, at least one.
"""

from __future__ import annotations

import math

from urllib3.util.retry import Retry

__all__ = ["parse_retry_after", "retry_after_seconds"]

_PARSER = Retry(0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (0 for a date in the past); ``None`` when
    the value is missing or unreadable (then the caller's own backoff or default applies)."""
    if value is None:
        return None
    try:
        return float(_PARSER.parse_retry_after(value))
    except Exception:  # an untrusted header: anything unreadable is "not given"
        return None


def retry_after_seconds(wait: float | None) -> int:
    """A ``Retry-After`` to send: ``wait`` rounded up to whole seconds, at least 1 (1 when the
    wait is unknown)."""
    if wait is None:
        return 1
    return max(1, math.ceil(wait))
