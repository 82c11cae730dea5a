"""DRF throttles over the shared cache (Redis in production) with a usable ``Retry-After``.

DRF's ``SimpleRateThrottle.wait()`` returns ``None`` once a client has more requests in its
history than the rate allows (e.g. after the rate was lowered), and DRF then sends no
``Retry-After``. These throttles always answer with the seconds until the oldest request in the
window expires, at least 1; the exception handler sends it as an integer header and as
``retry_after`` in the body.

Counting follows DRF (a timestamp list per client in the cache): concurrent requests from one
client can each read the same history, so a burst may pass a few requests over the rate.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework import throttling


class _AlwaysWaitMixin:
    """``wait()`` is never ``None`` and never below one second."""

    history: list[float]
    now: float
    duration: int

    def wait(self) -> float:
        value = super().wait()  # type: ignore[misc]
        if value is None:
            oldest = self.history[-1] if self.history else self.now
            value = self.duration - (self.now - oldest)
        return float(max(1, math.ceil(value)))


class AnonRateThrottle(_AlwaysWaitMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address (``REST_FRAMEWORK["NUM_PROXIES"]`` decides which)."""


class UserRateThrottle(_AlwaysWaitMixin, throttling.UserRateThrottle):
    """Authenticated principals by id (remote users and services have ``id``, maybe no ``pk``).

    Unlike DRF's, anonymous requests are not counted here a second time: ``AnonRateThrottle``
    already limits them (one cache round trip per request instead of two).
    """

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None
        ident = getattr(user, "pk", None)
        if ident is None:
            ident = getattr(user, "id", None)
        if getattr(user, "is_service", False):
            ident = f"service:{ident}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ScopedRateThrottle(_AlwaysWaitMixin, throttling.ScopedRateThrottle):
    """Per-view scopes (``throttle_scope = "login"`` with a ``"login"`` rate)."""
