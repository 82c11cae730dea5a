"""The suite's Redis cache backends: one ``redis.Redis`` client per process, and outage fail-safe.

:class:`SuiteRedisCache` is Django's cache API (``BaseCache``) on Redis, storing what Django's own
``RedisCache`` stores (integers as such, everything else pickled; the same keys), so either can
read the other's values. Django's backend builds a ``redis.Redis`` object for every operation
(its constructor, a table of response callbacks, costs about a third of a ``get``) and keeps a
connection pool per cache object, hence per thread; this one keeps one client, with its connection
pool, per process for each ``LOCATION`` and ``OPTIONS`` (redis-py's pool is thread-safe and
re-creates its connections in a forked child). Every cache operation of the suite goes through
it: throttle counters, cached introspection answers and revocation markers (``accounts``), the
failed-authentication budget. It adds :meth:`SuiteRedisCache.incr_or_create` (``INCRBY`` and
``EXPIRE`` in one atomic round trip), which the API throttles lease their budgets with.

:class:`FailSafeRedisCache` keeps a service answering when Redis is down. ``SuiteRedisCache``
raises ``redis.exceptions.ConnectionError`` from every call when the server is unreachable, so an
outage turns every request that touches the cache (throttles, cached introspection answers,
allauth's rate limits) into a 500. This backend logs the error (at most one line per
``LOG_EVERY`` seconds per process) and answers as an empty cache that stores nothing: reads miss,
writes are dropped, ``add`` reports "not stored". redis-py reconnects by itself, so recovery needs
nothing once Redis is back. Connect and socket timeouts default to ``0.5`` s (``OPTIONS`` can set
them) so a Redis that hangs cannot hold a request for long.

What that means for the suite's features while Redis is down (see docs/shared_core.md):

- API throttling (DRF throttles): no history is kept, so requests are not throttled (fail open);
- introspection cache (``RemoteSessionAuthentication``): every request asks the user service
  (correct answers, one more call per request);
- allauth's rate limits (login, signup, password reset): allauth cannot take its cache lock, so
  it refuses those requests with 429 (fail closed: the brute-force protection is never off);
- sessions are in the database (Django's default engine): unaffected.

``/ready`` must still see the outage: health checks use :attr:`FailSafeRedisCache.strict`, the
same client without the safety net.

Chosen explicitly for ``redis://`` / ``rediss://`` cache URLs by the presets
(``shared_core.presets.cache_url``), whatever other Redis backend (django-redis) is installed.
"""

from __future__ import annotations

import functools
import logging
import pickle
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, MEMCACHE_MAX_KEY_LENGTH, BaseCache
from django.utils.module_loading import import_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: The errors that mean "Redis is unreachable or too slow" (not misuse such as WRONGTYPE).
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
#: Seconds between two logged cache errors in one process (an outage would flood the log).
LOG_EVERY = 10.0
DEFAULT_SOCKET_TIMEOUT = 0.5

# INCR only an existing key (Django's incr() semantics) in one atomic round trip.
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""
# INCRBY, creating the key with a time to live: atomic (Redis runs a script as one command).
_INCR_OR_CREATE = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return count
"""


class _Connection:
    """One Redis server's client and registered scripts, shared by a process's cache objects."""

    def __init__(self, url: str, pool_class: Any, options: dict[str, Any]) -> None:
        self.client = redis.Redis(connection_pool=pool_class.from_url(url, **options))
        self.incr_existing = self.client.register_script(_INCR_EXISTING)
        self.incr_or_create = self.client.register_script(_INCR_OR_CREATE)


_connections: dict[tuple[str, str], _Connection] = {}
_connections_lock = threading.Lock()
#: Process-wide count of ``clear()`` calls per write server (see ``SuiteRedisCache.clears``).
_clears: dict[str, int] = {}


def _connection(url: str, options: dict[str, Any]) -> _Connection:
    """The process's connection to ``url`` with these options (made on first use)."""
    ident = (url, repr(sorted(options.items())))
    connection = _connections.get(ident)
    if connection is None:
        with _connections_lock:
            connection = _connections.get(ident)
            if connection is None:
                opts = dict(options)
                pool_class = opts.pop("pool_class", None) or redis.ConnectionPool
                if isinstance(pool_class, str):
                    pool_class = import_string(pool_class)
                connection = _connections[ident] = _Connection(url, pool_class, opts)
    return connection


def _dumps(value: Any) -> Any:
    # As Django's RedisSerializer: integers (not bools) unpickled, so INCR works on them.
    return value if type(value) is int else pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> Any:
    try:
        return int(data)
    except ValueError:
        return pickle.loads(data)  # noqa: S301 - values this cache wrote


class SuiteRedisCache(BaseCache):
    """Django's cache API on Redis over one client per process (see the module docstring).

    ``LOCATION`` is one URL, or several separated by ``,``/``;``: writes go to the first, reads
    to one of the others (replicas), as with Django's backend. ``OPTIONS`` are redis-py's
    connection-pool options (``socket_timeout``, ``max_connections``...), plus ``pool_class``.
    """

    def __init__(self, server: str | Iterable[str], params: dict[str, Any]) -> None:
        super().__init__(params)
        servers = re.split("[;,]", server) if isinstance(server, str) else list(server)
        #: The write server's URL.
        self.location: str = servers[0]
        self._servers = servers
        #: The connection-pool options (``OPTIONS``).
        self.options: dict[str, Any] = dict(params.get("OPTIONS") or {})

    @property
    def client(self) -> redis.Redis:
        """The process's ``redis.Redis`` client of the write server (thread-safe)."""
        return _connection(self.location, self.options).client

    def _write(self) -> _Connection:
        return _connection(self.location, self.options)

    def _read(self) -> redis.Redis:
        if len(self._servers) == 1:
            return _connection(self.location, self.options).client
        replica = random.choice(self._servers[1:])  # noqa: S311 - load spreading, not secrets
        return _connection(replica, self.options).client

    @property
    def clears(self) -> int:
        """How many times this process cleared the write server (lets process-local companions
        of the cached data, such as the throttles' leases, drop what a ``clear()`` voided)."""
        return _clears.get(self.location, 0)

    def validate_key(self, key: str) -> None:
        """Django's memcached-portability warnings, checked only for a key that could fail them
        (Django's check walks every character of every key)."""
        if not (
            len(key) <= MEMCACHE_MAX_KEY_LENGTH
            and key.isascii()
            and key.isprintable()
            and " " not in key
        ):
            super().validate_key(key)

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> int | None:
        """Seconds for Redis' ``EX`` (``None``: no expiry), as Django's Redis backend."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        return None if timeout is None else max(0, int(timeout))

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        client = self._write().client
        if timeout == 0:
            if stored := bool(client.set(key, _dumps(value), nx=True)):
                client.delete(key)
            return stored
        return bool(client.set(key, _dumps(value), ex=timeout, nx=True))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        value = self._read().get(self.make_and_validate_key(key, version=version))
        return default if value is None else _loads(value)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        client = self._write().client
        if timeout == 0:
            client.delete(key)
        else:
            client.set(key, _dumps(value), ex=timeout)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        client = self._write().client
        return bool(client.persist(key) if timeout is None else client.expire(key, timeout))

    def delete(self, key: Any, version: Any = None) -> bool:
        return bool(self._write().client.delete(self.make_and_validate_key(key, version=version)))

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not key_map:
            return {}
        values = self._read().mget(list(key_map))
        return {
            key_map[k]: _loads(v) for k, v in zip(key_map, values, strict=True) if v is not None
        }

    def has_key(self, key: Any, version: Any = None) -> bool:
        return bool(self._read().exists(self.make_and_validate_key(key, version=version)))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        full_key = self.make_and_validate_key(key, version=version)
        count = self._write().incr_existing(keys=[full_key], args=[delta])
        if count is None:
            raise ValueError(f"Key {full_key!r} not found.")
        return int(count)

    def incr_or_create(
        self, key: Any, delta: int = 1, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> int:
        """Add ``delta`` to the integer under ``key``, creating it (from 0, living ``timeout``
        seconds) when missing; the new value. One atomic round trip (a Lua script)."""
        full_key = self.make_and_validate_key(key, version=version)
        timeout = self.get_backend_timeout(timeout)
        return int(self._write().incr_or_create(keys=[full_key], args=[delta, timeout or 0]))

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        if not data:
            return []
        safe = {self.make_and_validate_key(k, version=version): _dumps(v) for k, v in data.items()}
        timeout = self.get_backend_timeout(timeout)
        pipeline = self._write().client.pipeline()
        if timeout == 0:
            pipeline.delete(*safe)
        else:
            pipeline.mset(safe)
            if timeout is not None:
                for key in safe:
                    pipeline.expire(key, timeout)
        pipeline.execute()
        return []

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        safe = [self.make_and_validate_key(key, version=version) for key in keys]
        if safe:
            self._write().client.delete(*safe)

    def clear(self) -> bool:
        with _connections_lock:
            _clears[self.location] = _clears.get(self.location, 0) + 1
        return bool(self._write().client.flushdb())


class _Strict:
    """The cache's methods without the safety net (:class:`SuiteRedisCache` behaviour)."""

    def __init__(self, cache: FailSafeRedisCache) -> None:
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        method = getattr(SuiteRedisCache, name)
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


def _nothing_counted(key: Any, *args: Any, **kwargs: Any) -> int:
    return 0


class FailSafeRedisCache(SuiteRedisCache):
    """:class:`SuiteRedisCache` that survives a Redis outage (see the module docstring).

    ``incr_or_create`` answers 0 during an outage: nothing was counted (the throttles let the
    request through).
    """

    def __init__(self, server: str | Iterable[str], params: dict[str, Any]) -> None:
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
        """Log that ``operation`` failed because Redis is unreachable (rate-limited)."""
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

    get = _fail_safe(_default)(SuiteRedisCache.get)
    add = _fail_safe(lambda *a, **k: False)(SuiteRedisCache.add)
    set = _fail_safe(lambda *a, **k: None)(SuiteRedisCache.set)
    touch = _fail_safe(lambda *a, **k: False)(SuiteRedisCache.touch)
    delete = _fail_safe(lambda *a, **k: False)(SuiteRedisCache.delete)
    get_many = _fail_safe(lambda *a, **k: {})(SuiteRedisCache.get_many)
    has_key = _fail_safe(lambda *a, **k: False)(SuiteRedisCache.has_key)
    incr = _fail_safe(_missing_key)(SuiteRedisCache.incr)
    incr_or_create = _fail_safe(_nothing_counted)(SuiteRedisCache.incr_or_create)
    set_many = _fail_safe(_keys_failed)(SuiteRedisCache.set_many)
    delete_many = _fail_safe(lambda *a, **k: None)(SuiteRedisCache.delete_many)
    clear = _fail_safe(lambda *a, **k: False)(SuiteRedisCache.clear)


DJANGO_REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
FAIL_SAFE_BACKEND = "shared_core.cache.FailSafeRedisCache"


def fail_safe(config: dict[str, Any]) -> dict[str, Any]:
    """A ``CACHES`` entry with Django's Redis backend swapped for :class:`FailSafeRedisCache`."""
    if config.get("BACKEND") == DJANGO_REDIS_BACKEND:
        config = {**config, "BACKEND": FAIL_SAFE_BACKEND}
    return config
