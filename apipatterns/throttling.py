"""DRF throttles over the shared cache (Redis in production) with a usable ``Retry-After``.

DRF's ``SimpleRateThrottle`` keeps a list of timestamps per client and writes it back after a
read, so concurrent requests from one client (several workers) each read the same list and a burst
passes over the rate; its ``wait()`` may also return ``None`` (then DRF sends no ``Retry-After``).
These throttles keep DRF's classes, scopes and rate syntax (``"120/min"``) but count with a fixed
window counter, one small integer per client and window in the cache. The price of a fixed
window is that a client can get up to twice the rate across a window boundary. ``wait()`` is the
integer number of seconds to the end of the window, at least 1; the exception handler sends it as
``Retry-After`` and as ``retry_after`` in the body.

**Leases (every cache: Redis, local memory, ...).** A request does not touch the cache: a worker
(a process on the suite's Redis cache, a thread on other backends, whose cache objects are per
thread) leases a block of the window's budget from the counter with one atomic increment
(``INCRBY`` and ``EXPIRE`` in one script on :class:`shared_core.cache.SuiteRedisCache`; the cache's
public ``incr``/``add`` on other backends, ``LocMemCache`` included), then serves requests from it
under a lock, and leases again when it is spent. A lease of ``n`` that brings the counter to ``t``
is the units numbered ``t-n+1 … t``; only units numbered up to the rate are ever served, so:

- **a client never gets more than its rate in a window** while the cache answers, whatever the
  number of processes and threads (the units are numbered by the counter's atomic increments; a
  lease taken in one window is never used in the next);
- it may get **fewer**: units leased by a worker that then receives no more of that client's
  requests in the window are lost, at most ``lease - 1`` per worker; the lease size is
  ``max(1, min(API_THROTTLE_LEASE_SIZE, remaining // API_THROTTLE_LEASE_WORKERS))`` where
  ``remaining`` is the rate minus the counter as the worker last saw it, so leases shrink to
  one unit as the budget runs out and small rates are counted one by one;
- once a lease finds the budget spent, the process refuses that client locally until the
  window ends, with the suite's Redis cache (no round trip for refused requests either; a
  ``clear()`` in this process starts the book again); other backends ask the cache for each
  refused request, as a ``clear()`` could not be seen otherwise;
- the counter (``cache.get``) holds the units leased, at least the requests served; a
  ``clear()`` resets it, and units a worker leased before it are still served (with the suite's
  Redis cache a ``clear()`` in this process drops this process's leases too);
- a Redis outage fails open as before (``FailSafeRedisCache`` counts nothing, the request
  passes); a counter lost with its cache (``clear()``, eviction) starts again from 0, as before.

One cache operation per lease instead of one per request: with the default lease size (20) a busy
client costs a twentieth of a round trip per request on Redis, and a fraction of
``LocMemCache.incr`` (key check, lock, pickling) in local memory.

**Exact counting.** With ``API_THROTTLE_LEASE_SIZE = 1`` every request is counted in the cache
itself with its public API (``incr``, and ``add`` when the window's counter does not exist yet;
``incr_or_create`` on the suite's Redis cache), so ``cache.get`` reads the exact count.

The default (``REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]``) is one class,
:class:`AnonOrUserRateThrottle`: authenticated principals at the ``user`` rate by id, anonymous
clients at the ``anon`` rate by address: the same limits and cache keys as DRF's
``AnonRateThrottle`` + ``UserRateThrottle`` pair, with one throttle object and one check per
request instead of two. The pair is still here for views that list them separately.
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import throttling
from rest_framework.settings import api_settings

from apipatterns.conf import apipatterns_settings
from shared_core.cache import SuiteRedisCache

# The default cache object per thread (Django keeps one per thread too), tagged with the
# generation of the CACHES setting it was made for: a settings change (tests) starts a new one.
_thread_caches = threading.local()
_caches_generation = 0


@receiver(setting_changed)
def _forget_cache_objects(*, setting: str, **kwargs: Any) -> None:
    global _caches_generation
    if setting == "CACHES":
        _caches_generation += 1
        _books.clear()


def _backend(cache: Any) -> Any:
    """The cache itself, not DRF's ``default_cache`` proxy (which looks it up on every access)."""
    if cache is not default_cache:
        return cache
    memo = getattr(_thread_caches, "default", None)
    if memo is None or memo[0] != _caches_generation:
        memo = _thread_caches.default = (_caches_generation, caches[DEFAULT_CACHE_ALIAS])
    return memo[1]


def _add_to_counter(cache: Any, key: str, amount: int, timeout: int) -> int:
    """Atomically add ``amount`` to the counter ``key`` (created with ``timeout``); its new value.

    0 when the suite's fail-safe Redis cache is unreachable: nothing was counted (fail open).
    """
    if isinstance(cache, SuiteRedisCache):
        return cache.incr_or_create(key, amount, timeout)
    try:  # the steady state: the window's counter exists
        return cache.incr(key, amount)
    except ValueError:
        pass
    if cache.add(key, amount, timeout):
        return amount
    try:  # another worker created it between our incr() and add()
        return cache.incr(key, amount)
    except ValueError:  # ... and it has expired already
        cache.add(key, amount, timeout)
        return amount


class _Lease:
    """A process's block of one client's budget in one window (see the module docstring)."""

    __slots__ = ("expires", "last", "lock", "next", "seen", "window")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.window = -1
        self.expires = 0.0
        self.next = 1  # the next unit to serve
        self.last = 0  # the last unit leased that is within the rate
        self.seen = 0  # the shared counter after this process's last lease in the window


class _LeaseBook:
    """The leases one process holds on one cache, by full cache key of the window's counter."""

    #: Past this many clients, leases of ended windows are dropped (at most once a second).
    SWEEP_ABOVE = 4096

    def __init__(self, clears: int, shared: bool = False) -> None:
        self.clears = clears
        self.shared = shared  # one book for every cache object on a server (suite's Redis)
        self.leases: dict[str, _Lease] = {}
        self.lock = threading.Lock()
        self.next_sweep = 0.0

    def lease(self, key: str, now: float) -> _Lease:
        lease = self.leases.get(key)
        if lease is None:
            with self.lock:
                lease = self.leases.get(key)
                if lease is None:
                    if len(self.leases) >= self.SWEEP_ABOVE and now >= self.next_sweep:
                        self.next_sweep = now + 1
                        for k in [k for k, v in self.leases.items() if v.expires < now]:
                            del self.leases[k]
                    lease = self.leases[key] = _Lease()
        return lease


# Per process: one book per Redis server for the suite's cache (its cache objects are per
# thread, its client per process), else one per cache object. Dropped on a CACHES change.
_books: dict[Any, _LeaseBook] = {}
_object_books: weakref.WeakKeyDictionary[Any, _LeaseBook] = weakref.WeakKeyDictionary()
_books_lock = threading.Lock()


def _book(cache: Any) -> _LeaseBook:
    """This process's lease book for ``cache``; a new one after the cache was cleared here."""
    if isinstance(cache, SuiteRedisCache):
        clears = cache.clears
        book = _books.get(cache.location)
        if book is None or book.clears != clears:
            with _books_lock:
                book = _books.get(cache.location)
                if book is None or book.clears != clears:
                    book = _books[cache.location] = _LeaseBook(clears, shared=True)
        return book
    book = _object_books.get(cache)
    if book is None:
        with _books_lock:
            book = _object_books.setdefault(cache, _LeaseBook(0))
    return book


def _lease_size(rate: int, seen: int) -> int:
    """Units to lease: smaller as the budget runs out, so few are lost in idle workers."""
    size = apipatterns_settings.API_THROTTLE_LEASE_SIZE
    share = (rate - seen) // max(1, apipatterns_settings.API_THROTTLE_LEASE_WORKERS)
    return max(1, min(size, share))


def _ttl(now: float, window_end: float) -> int:
    """The counter's timeout: a second past its window's end, so a late increment never finds
    it gone and starts the window again."""
    return math.ceil(window_end - now) + 1


def _allow(cache: Any, key: str, rate: int, now: float, window: int, window_end: float) -> bool:
    """Count one request of ``key`` in ``window``; whether it is within ``rate``."""
    counter_key = f"{key}:{window}"
    if apipatterns_settings.API_THROTTLE_LEASE_SIZE <= 1:
        return _add_to_counter(cache, counter_key, 1, _ttl(now, window_end)) <= rate
    book = _book(cache)
    # The suite's Redis book is shared by the aliases on one server: keyed by the full cache key
    # (their prefixes differ); a cache object's own book by the key it is given.
    book_key = cache.make_key(counter_key) if book.shared else counter_key
    lease = book.lease(book_key, now)
    with lease.lock:
        if lease.window != window:  # new (a lease is never carried into the next window)
            lease.window, lease.expires = window, window_end
            lease.next, lease.last, lease.seen = 1, 0, 0
        if lease.next <= lease.last and lease.next <= rate:
            lease.next += 1
            return True
        if lease.seen >= rate and isinstance(cache, SuiteRedisCache):
            return False  # the window's budget is spent (and this process saw no clear())
        size = _lease_size(rate, lease.seen)
        total = _add_to_counter(cache, counter_key, size, _ttl(now, window_end))
        if total <= 0:  # the cache is down (fail-safe): nothing counted, let it through
            return True
        first = total - size + 1
        lease.seen = total
        lease.next, lease.last = first + 1, min(total, rate)
        return first <= rate


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
        self.window_end = window_end = (window + 1) * self.duration
        return _allow(_backend(self.cache), key, self.num_requests, now, window, window_end)

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
        self.rate = rate = self.get_rate()
        if rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(rate)  # type: ignore[assignment]
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
