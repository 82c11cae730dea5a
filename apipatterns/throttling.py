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

The default (``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]``) is one class,
:class:`AnonOrUserRateThrottle`: authenticated principals at the ``user`` rate by id, anonymous
clients at the ``anon`` rate by address: the same limits and cache keys as DRF's
``AnonRateThrottle`` + ``UserRateThrottle`` pair, with one throttle object and one check per
request instead of two. The pair is still here for views that list them separately.

Cost per request (this runs on every throttled view): the counter takes one cache operation in
the steady state. On Django's Redis backend that is one round trip (``INCR`` + ``EXPIRE`` in a
Lua script, atomic, where Django's own ``add`` + ``incr`` would take three: ``SET NX``, ``EXISTS``,
``INCR``) through a ``redis.Redis`` client kept per cache object instead of a new one per
operation; on Django's local-memory backend, increment-or-create under one hold of its lock; on
other backends ``incr`` first and ``add`` only when the window's key does not exist yet. The
default cache object is looked up once per thread, not through DRF's ``default_cache`` proxy on
every access; Django's memcached key check (a regular expression behind a lazy object) runs only
for a key that could fail it; the client address is read from ``META`` without building
``request.headers``.
"""

from __future__ import annotations

import functools
import math
import pickle
import threading
import weakref
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.base import MEMCACHE_MAX_KEY_LENGTH
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import throttling
from rest_framework.settings import api_settings

from shared_core.cache import OUTAGE_ERRORS, FailSafeRedisCache

# The default cache object per thread (Django keeps one per thread too), tagged with the
# generation of the CACHES setting it was made for: a settings change (tests) starts a new one.
_thread_caches = threading.local()
_caches_generation = 0


@receiver(setting_changed)
def _forget_cache_objects(*, setting: str, **kwargs: Any) -> None:
    global _caches_generation
    if setting == "CACHES":
        _caches_generation += 1


def _backend(cache: Any) -> Any:
    """The cache itself, not DRF's ``default_cache`` proxy (which looks it up on every access)."""
    if cache is not default_cache:
        return cache
    memo = getattr(_thread_caches, "default", None)
    if memo is None or memo[0] != _caches_generation:
        memo = _thread_caches.default = (_caches_generation, caches[DEFAULT_CACHE_ALIAS])
    return memo[1]


def _make_key(cache: Any, key: str) -> str:
    """``cache.make_and_validate_key(key)``, running Django's memcached check (which only warns)
    only for a key that could fail it: too long, non-ASCII, a space or a control character."""
    full_key = cache.make_key(key)
    if not (
        len(full_key) <= MEMCACHE_MAX_KEY_LENGTH
        and full_key.isascii()
        and full_key.isprintable()
        and " " not in full_key
    ):
        cache.validate_key(full_key)
    return full_key


def _increment(cache: Any, key: str, timeout: int) -> int:
    """Atomically count one more request under ``key`` (created with ``timeout``); new count."""
    if type(cache) is LocMemCache:
        return _locmem_increment(cache, key, timeout)
    if isinstance(cache, RedisCache):
        return _redis_increment(cache, key, timeout)
    try:  # the steady state: the window's counter exists
        return cache.incr(key)
    except ValueError:
        pass
    if cache.add(key, 1, timeout):
        return 1
    try:  # another worker created it between our incr() and add()
        return cache.incr(key)
    except ValueError:  # ... and it has expired already
        cache.add(key, 1, timeout)
        return 1


def _locmem_increment(cache: LocMemCache, key: str, timeout: int) -> int:
    """``incr``, or ``add`` at 1 when the key is missing or expired, under one hold of the lock.

    Django's ``LocMemCache.incr`` and ``add`` each make and check the key and take the lock; this
    does what the two do together, with the same storage (pickled values, expiry times, culling
    when full), so ``cache.get`` reads the counter back. Subclasses go through the public API.
    """
    key = _make_key(cache, key)
    with cache._lock:
        if cache._has_expired(key):
            cache._set(key, pickle.dumps(1, cache.pickle_protocol), timeout)
            return 1
        count = pickle.loads(cache._cache[key]) + 1  # noqa: S301 - the process's own cache
        cache._cache[key] = pickle.dumps(count, cache.pickle_protocol)
        cache._cache.move_to_end(key, last=False)
    return count


# INCR + EXPIRE as one Lua script: atomic (Redis runs a script as one command) and one command to
# send and parse, which costs less CPU than the same two commands in a MULTI/EXEC pipeline.
_INCR_EXPIRE = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return count
"""

# (redis.Redis client, registered script) per Django RedisCacheClient: see _redis_counter.
_counters: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()


def _redis_counter(cache: RedisCache, key: str) -> tuple[Any, Any]:
    """The ``redis.Redis`` client Django's ``RedisCache`` would write ``key`` with, and the script.

    Django builds a new ``redis.Redis`` object for every operation, and its constructor (a table of
    ~170 response callbacks) costs more CPU than the round trip's own work. Its stock client always
    writes through the first server's connection pool, and a ``redis.Redis`` object is thread-safe
    (each command takes a connection from the pool), so one is kept per Django client (per cache
    object: new settings make new ones). A custom client class, which may pick a server by key,
    gets asked every time.
    """
    backend_client = cache._cache
    if type(backend_client) is not RedisCacheClient:
        client = backend_client.get_client(key, write=True)
        return client, client.register_script(_INCR_EXPIRE)
    counter = _counters.get(backend_client)
    if counter is None:
        client = backend_client.get_client(key, write=True)
        counter = _counters[backend_client] = (client, client.register_script(_INCR_EXPIRE))
    return counter


def _redis_increment(cache: RedisCache, key: str, timeout: int) -> int:
    """``INCR`` + ``EXPIRE`` in one script call: one round trip, atomic across workers.

    Django's cache API has no "increment, creating with a timeout"; its client
    (``cache._cache``) and key function are what ``RedisCache.incr`` itself uses, so the value
    stays readable with ``cache.get`` (Django stores integers unpickled). redis-py sends the
    script by its SHA (``EVALSHA``) and loads it first when the server does not know it yet.
    """
    key = _make_key(cache, key)
    try:
        client, script = _redis_counter(cache, key)
        return int(script(keys=[key], args=[timeout], client=client))
    except OUTAGE_ERRORS as exc:
        if not isinstance(cache, FailSafeRedisCache):
            raise
        # Redis is down and the service chose to keep answering: count nothing, let the
        # request through (throttling fails open; see shared_core/cache.py).
        cache.report_outage("throttle counter", exc)
        return 0


@functools.lru_cache(maxsize=32)
def _parse_rate(rate: str) -> tuple[int, int]:
    return throttling.SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]


class _WindowCounterMixin:
    """``allow_request``/``wait`` on a fixed-window counter (see the module docstring)."""

    rate: str | None
    num_requests: int
    duration: int
    cache: Any
    timer: Any

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        # DRF makes a throttle object per request and parses the rate string each time.
        return (None, None) if rate is None else _parse_rate(rate)

    def get_ident(self, request: Any) -> str | None:
        """DRF's ``get_ident``, reading ``META`` directly: DRF's reads ``request.headers``,
        which builds a mapping of every header of the request just for X-Forwarded-For."""
        meta = request.META
        num_proxies = api_settings.NUM_PROXIES
        if num_proxies == 0:  # the default: no proxy is trusted
            return meta.get("REMOTE_ADDR")
        xff = meta.get("HTTP_X_FORWARDED_FOR")
        remote_addr = meta.get("REMOTE_ADDR")
        if num_proxies is not None:
            if xff is None:
                return remote_addr
            addrs = xff.split(",")
            return addrs[-min(num_proxies, len(addrs))].strip()
        return "".join(xff.split()) if xff else remote_addr

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if key is None:
            return True
        return self._count(key)

    def _count(self, key: str) -> bool:
        """Count this request in the current window of ``key``; whether it is within the rate."""
        self.now = now = self.timer()
        window = int(now // self.duration)
        self.window_end = (window + 1) * self.duration
        # The counter lives until a second after its window ends, so a late incr() never finds
        # it gone and starts the window again at 1.
        ttl = math.ceil(self.window_end - now) + 1
        count = _increment(_backend(self.cache), f"{key}:{window}", ttl)
        return count <= self.num_requests

    def wait(self) -> float:
        return float(max(1, math.ceil(self.window_end - self.now)))


def _user_ident(user: Any) -> str:
    """The throttle identity of an authenticated principal: ``pk``, else ``id`` (remote users),
    prefixed ``service:`` for service principals."""
    ident = getattr(user, "pk", None)
    if ident is None:
        ident = getattr(user, "id", None)
    if getattr(user, "is_service", False):
        return f"service:{ident}"
    return str(ident)


class AnonOrUserRateThrottle(_WindowCounterMixin, throttling.SimpleRateThrottle):
    """The default throttle: authenticated principals at the ``user`` rate by id (remote users
    and services too), anonymous clients at the ``anon`` rate by address.

    The limits and cache keys of :class:`AnonRateThrottle` + :class:`UserRateThrottle`, in one
    throttle object per request. ``anon_scope``/``user_scope`` name the rates to use.
    """

    anon_scope = "anon"
    user_scope = "user"

    def __init__(self) -> None:
        # DRF reads the rate when the throttle is made; here it depends on the request.
        self.rate = None

    def get_cache_key(self, request: Any, view: Any) -> str:
        """The caller's key, choosing the scope (hence the rate) by who the caller is."""
        user = request.user
        if user and user.is_authenticated:
            self.scope, ident = self.user_scope, _user_ident(user)
        else:
            self.scope, ident = self.anon_scope, self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Any, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[assignment]
        return self._count(key)


class AnonRateThrottle(_WindowCounterMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address (``REST_FRAMEWORK["NUM_PROXIES"]`` decides which)."""

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = request.user  # DRF's reads the property twice
        if user and user.is_authenticated:
            return None  # authenticated: UserRateThrottle counts them
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserRateThrottle(_WindowCounterMixin, throttling.UserRateThrottle):
    """Authenticated principals by id (remote users and services have ``id``, maybe no ``pk``).

    Unlike DRF's, anonymous requests are not counted here a second time: ``AnonRateThrottle``
    already limits them.
    """

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": _user_ident(user)}


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
