"""``FailSafeRedisCache``: Django's Redis cache that keeps a service answering when Redis is down.

Django's ``RedisCache`` raises ``redis.exceptions.ConnectionError`` from every call when the
server is unreachable, so a cache outage turns every request that touches the cache (throttles,
cached introspection answers, allauth's rate limits) into a 500. This backend logs the error
(at most one line per ``LOG_EVERY`` seconds per process) and answers as an empty cache that
stores nothing: reads miss, writes are dropped, ``add`` reports "not stored". redis-py reconnects
by itself, so recovery needs nothing once Redis is back. Connect and socket timeouts default to
``0.5`` s (``OPTIONS`` can set them) so a Redis that hangs cannot hold a request for long.

What that means for the suite's features while Redis is down (see docs/shared_core.md):

- API throttling (DRF throttles): no history is kept, so requests are not throttled (fail open);
- introspection cache (``RemoteSessionAuthentication``): every request asks the user service
  (correct answers, one more call per request);
- allauth's rate limits (login, signup, password reset): allauth cannot take its cache lock, so
  it refuses those requests with 429 (fail closed: the brute-force protection is never off);
- sessions are in the database (Django's default engine): unaffected.

``/ready`` must still see the outage: health checks use :attr:`FailSafeRedisCache.strict`, the
same client without the safety net.

Selected in ``settings/base.py`` for ``redis://`` cache URLs.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: The errors that mean "Redis is unreachable or too slow" (not misuse such as WRONGTYPE).
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
#: Seconds between two logged cache errors in one process (an outage would flood the log).
LOG_EVERY = 10.0
DEFAULT_SOCKET_TIMEOUT = 0.5


class _Strict:
    """The cache's methods without the safety net (Django's own ``RedisCache`` behaviour)."""

    def __init__(self, cache: FailSafeRedisCache) -> None:
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        method = getattr(RedisCache, name)
        return functools.partial(method, self._cache) if callable(method) else method


def _fail_safe(fallback: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def wrapper(self: FailSafeRedisCache, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except OUTAGE_ERRORS as exc:
                self.report_outage(method.__name__, exc)
                return fallback(*args, **kwargs)

        return wrapper

    return decorate


def _default(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


def _keys_failed(data: dict[Any, Any], *args: Any, **kwargs: Any) -> list[Any]:
    return list(data)


def _missing_key(key: Any, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"Key {key!r} not found (the cache is unavailable).")


class FailSafeRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` that survives a Redis outage (see above)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._log_lock = threading.Lock()
        self._last_logged = float("-inf")
        self._suppressed = 0

    @property
    def strict(self) -> _Strict:
        """This cache raising Redis errors as Django's backend does (for health checks)."""
        return _Strict(self)

    def report_outage(self, operation: str, exc: BaseException) -> None:
        """Log that ``operation`` failed because Redis is unreachable (rate-limited).

        For code that talks to the Redis client directly (``cache._cache``), as the API
        throttles do, and so must catch :data:`OUTAGE_ERRORS` itself.
        """
        with self._log_lock:
            now = time.monotonic()
            if now - self._last_logged < LOG_EVERY:
                self._suppressed += 1
                return
            suppressed, self._suppressed, self._last_logged = self._suppressed, 0, now
        logger.warning(
            "Cache unavailable: %s failed (%s: %s); answering as an empty cache "
            "(%d more errors since the last report)",
            operation,
            type(exc).__name__,
            exc,
            suppressed,
        )

    get = _fail_safe(_default)(RedisCache.get)
    add = _fail_safe(lambda *a, **k: False)(RedisCache.add)
    set = _fail_safe(lambda *a, **k: None)(RedisCache.set)
    touch = _fail_safe(lambda *a, **k: False)(RedisCache.touch)
    delete = _fail_safe(lambda *a, **k: False)(RedisCache.delete)
    get_many = _fail_safe(lambda *a, **k: {})(RedisCache.get_many)
    has_key = _fail_safe(lambda *a, **k: False)(RedisCache.has_key)
    incr = _fail_safe(_missing_key)(RedisCache.incr)
    set_many = _fail_safe(_keys_failed)(RedisCache.set_many)
    delete_many = _fail_safe(lambda *a, **k: None)(RedisCache.delete_many)
    clear = _fail_safe(lambda *a, **k: False)(RedisCache.clear)


DJANGO_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
FAIL_SAFE_BACKEND = "shared_core.cache.FailSafeRedisCache"


def fail_safe(config: dict[str, Any]) -> dict[str, Any]:
    """A ``CACHES`` entry with Django's Redis backend swapped for :class:`FailSafeRedisCache`."""
    if config.get("BACKEND") == DJANGO_REDIS_BACKEND:
        config = {**config, "BACKEND": FAIL_SAFE_BACKEND}
    return config
