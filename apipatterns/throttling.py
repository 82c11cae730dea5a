"""DRF throttles over the shared cache (Redis in production) with a usable ``Retry-After``.

DRF's ``SimpleRateThrottle`` keeps a list of timestamps per client and writes it back after a
read, so concurrent requests from one client (several workers) each read the same list and a burst
passes over the rate; its ``wait()`` may also return ``None`` (then DRF sends no ``Retry-After``).
These throttles keep DRF's classes, scopes and rate syntax (``"120/min"``) but count with a fixed
window counter: ``cache.add`` + ``cache.incr`` (``SET NX`` + ``INCR`` on Redis: atomic across
processes), one small integer per client and window. The price of a fixed window is that a client
can get up to twice the rate across a window boundary. ``wait()`` is the integer number of seconds
to the end of the window, at least 1; the exception handler sends it as ``Retry-After`` and as
``retry_after`` in the body.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework import throttling


def _increment(cache: Any, key: str, timeout: int) -> int:
    """Atomically count one more request under ``key``; returns the new count."""
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout)
        return 1


class _WindowCounterMixin:
    """``allow_request``/``wait`` on a fixed-window counter (see the module docstring)."""

    rate: str | None
    num_requests: int
    duration: int
    cache: Any
    timer: Any

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        # The key outlives its window by a second so a late incr() never resurrects it at 1.
        count = _increment(self.cache, f"{key}:{window}", self.duration + 1)
        return count <= self.num_requests

    def wait(self) -> float:
        return float(max(1, math.ceil(self.window_end - self.now)))


class AnonRateThrottle(_WindowCounterMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address (``REST_FRAMEWORK["NUM_PROXIES"]`` decides which)."""


class UserRateThrottle(_WindowCounterMixin, throttling.UserRateThrottle):
    """Authenticated principals by id (remote users and services have ``id``, maybe no ``pk``).

    Unlike DRF's, anonymous requests are not counted here a second time: ``AnonRateThrottle``
    already limits them.
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


class ScopedRateThrottle(_WindowCounterMixin, throttling.ScopedRateThrottle):
    """Per-view scopes (``throttle_scope = "login"`` with a ``"login"`` rate)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        # As DRF's: the scope, hence the rate, comes from the view at request time.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
