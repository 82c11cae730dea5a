"""apipatterns.throttling: 429 with an integer Retry-After ≥ 1 that the body repeats."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory
from rest_framework import throttling as drf_throttling

from apipatterns import throttling
from apipatterns.throttling import AnonOrUserRateThrottle, AnonRateThrottle, UserRateThrottle
from shared_core.cache import DJANGO_REDIS_BACKEND, FAIL_SAFE_BACKEND
from tests.apipatterns.conftest import envelope, problem

pytestmark = [pytest.mark.urls("tests.apitest.urls"), pytest.mark.django_db]


@pytest.fixture(params=["locmem", "redis", "suite-redis"])
def shared_cache(request, settings):
    """Run against local memory and against a real Redis through Django's backend and through
    the suite's (what production uses)."""
    if request.param != "locmem":
        url = request.getfixturevalue("redis_url")
        backend = {"redis": DJANGO_REDIS_BACKEND, "suite-redis": FAIL_SAFE_BACKEND}[request.param]
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": url}}
    cache.clear()
    yield request.param
    cache.clear()


def test_throttled_request_has_matching_header_and_body(client, shared_cache):
    for _ in range(3):
        envelope(client.get("/drf/scoped-throttle"))
    response = client.get("/drf/scoped-throttle")
    body = problem(response, 429, "throttled")
    retry_after = response["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 60
    assert body["retry_after"] == int(retry_after)


def test_counters_live_in_the_shared_cache(client, shared_cache):
    for _ in range(3):
        envelope(client.get("/drf/scoped-throttle"))
    # Only the cache is shared between workers: the counter is there, and clearing it resets.
    window = int(time.time() // 60)
    assert cache.get(f"throttle_apitest_127.0.0.1:{window}") in (3, None)  # None: window rolled
    cache.clear()
    envelope(client.get("/drf/scoped-throttle"))


def test_concurrent_requests_never_exceed_the_rate(shared_cache):
    # Separate threads, separate cache connections: the counter is atomic (INCR on Redis).
    class Ten(AnonRateThrottle):
        rate = "10/hour"

    allowed = []

    def hit():
        allowed.append(Ten().allow_request(_anon_request(), None))

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 10


def test_unknown_wait_still_gives_retry_after_of_one(client):
    response = client.get("/drf/unknown-wait-throttle")
    body = problem(response, 429, "throttled")
    assert response["Retry-After"] == "1" and body["retry_after"] == 1


@pytest.mark.parametrize("url", ["/drf/app-rate-limited", "/plain/rate-limited"])
def test_every_429_carries_retry_after(client, url):
    # An app's own 429 (APIError subclass) and a plain view's 429 page get it too.
    response = client.get(url)
    body = problem(response, 429, "too_many_attempts" if "app" in url else "throttled")
    assert response["Retry-After"] == "1" and body["retry_after"] == 1


def _request_as(user, **meta):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", **meta)
    request.user = user
    return request


def _anon_request(**meta):
    return _request_as(AnonymousUser(), **meta)


def test_wait_is_an_integer_after_the_rate_was_lowered(shared_cache):
    class Five(AnonRateThrottle):
        rate = "5/min"

    class Two(AnonRateThrottle):
        rate = "2/min"

    request = _anon_request()
    for _ in range(5):
        assert Five().allow_request(request, None)
    lowered = Two()
    assert not lowered.allow_request(request, None)
    wait = lowered.wait()
    assert wait is not None and wait == int(wait) and 1 <= wait <= 60


@pytest.mark.parametrize(
    ("user", "ident"),
    [
        (SimpleNamespace(is_authenticated=True, pk=7, id=7), "7"),
        (SimpleNamespace(is_authenticated=True, id="remote-42"), "remote-42"),
        (
            SimpleNamespace(is_authenticated=True, id="ticket-service", is_service=True),
            "service:ticket-service",
        ),
    ],
)
def test_user_throttle_keys_remote_users_and_services(user, ident):
    request = SimpleNamespace(user=user, META={"REMOTE_ADDR": "10.0.0.1"})
    assert UserRateThrottle().get_cache_key(request, None) == f"throttle_user_{ident}"


def test_user_throttle_leaves_anonymous_requests_to_the_anon_throttle():
    assert UserRateThrottle().get_cache_key(_anon_request(), None) is None


def test_spoofed_forwarded_for_does_not_change_the_anonymous_key():
    request = _anon_request(HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert AnonRateThrottle().get_cache_key(request, None) == "throttle_anon_10.0.0.9"


def test_counter_expires_soon_after_its_window(shared_cache, redis_url):
    # One cache operation per lease must still leave a TTL: the counter may never outlive its
    # window by more than a couple of seconds, nor live forever. It holds what the worker
    # leased (at least what it served), in local memory as on Redis.
    class PerMinute(AnonRateThrottle):
        rate = "50/min"

    request = _anon_request()
    for expected in (1, 2, 3):
        throttle = PerMinute()
        assert throttle.allow_request(request, None)
        key = f"throttle_anon_10.0.0.9:{int(throttle.now // 60)}"
        assert expected <= cache.get(key) <= 50
    remaining = throttle.window_end - throttle.now
    backend = caches["default"]  # "locmem" is the configured default: Redis in the Redis pass
    if isinstance(backend, LocMemCache):
        ttl = backend._expire_info[backend.make_and_validate_key(key)] - time.time()
    else:
        location = getattr(backend, "location", None) or redis_url
        ttl = redis.Redis.from_url(location).ttl(backend.make_and_validate_key(key))
    assert remaining < ttl <= remaining + 2.5


@pytest.mark.parametrize("num_proxies", [None, 0, 1, 2])
@pytest.mark.parametrize("forwarded", [None, "1.2.3.4", "1.2.3.4, 5.6.7.8", " 9.9.9.9 ,8.8.8.8 "])
def test_client_address_matches_drf(settings, num_proxies, forwarded):
    # Ours reads META directly instead of building request.headers: same answer as DRF's.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    meta = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = _anon_request(**meta)
    expected = drf_throttling.BaseThrottle().get_ident(request)
    assert AnonRateThrottle().get_ident(request) == expected


def test_throttles_let_requests_through_while_a_fail_safe_redis_is_down(caplog, settings):
    """Found by the fault tests: the one-round-trip counter bypassed the fail-safe cache (500)."""
    import socket

    from shared_core.cache import FailSafeRedisCache

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = FailSafeRedisCache(f"redis://127.0.0.1:{port}/0", {})

    class Two(AnonRateThrottle):
        rate = "2/min"
        cache = dead

    assert throttling._add_to_counter(dead, "throttle:test", 5, 60) == 0  # nothing counted
    assert all(Two().allow_request(_anon_request(), None) for _ in range(5))  # fail open
    settings.API_THROTTLE_LEASE_SIZE = 1  # exact counting fails open too
    assert all(Two().allow_request(_anon_request(), None) for _ in range(5))
    assert "Cache unavailable: incr_or_create failed" in caplog.text


def test_redis_counter_survives_a_script_cache_flush(redis_url):
    # The script goes by its SHA; a server that forgot it (restart, SCRIPT FLUSH) gets it again.
    from shared_core.cache import SuiteRedisCache

    backend = SuiteRedisCache(redis_url, {})
    assert throttling._add_to_counter(backend, "throttle_flush", 1, 5) == 1
    backend.client.script_flush()
    assert throttling._add_to_counter(backend, "throttle_flush", 3, 5) == 4
    backend.delete("throttle_flush")


@pytest.mark.parametrize(
    ("user", "pair"),
    [
        (AnonymousUser(), AnonRateThrottle),
        (SimpleNamespace(is_authenticated=True, pk=7, id=7), UserRateThrottle),
        (
            SimpleNamespace(is_authenticated=True, id="ticket-service", is_service=True),
            UserRateThrottle,
        ),
    ],
)
def test_the_default_throttle_counts_as_the_anon_and_user_pair(shared_cache, settings, user, pair):
    # One throttle object per request, the same counter as the pair's throttle for that caller
    # (counted one by one here, so the counter reads the requests).
    settings.API_THROTTLE_LEASE_SIZE = 1
    request = _request_as(user)
    throttle = AnonOrUserRateThrottle()
    assert throttle.allow_request(request, None)
    window = int(throttle.now // throttle.duration)
    assert throttle.get_cache_key(request, None) == pair().get_cache_key(request, None)
    key = f"{pair().get_cache_key(request, None)}:{window}"
    assert cache.get(key) == 1
    assert pair().allow_request(request, None)  # the pair's class counts on the same key
    assert cache.get(key) == 2


def test_the_default_throttle_applies_the_rate_of_the_callers_scope(shared_cache):
    class Limits(AnonOrUserRateThrottle):
        THROTTLE_RATES = {"anon": "2/min", "user": "4/min"}

    anonymous = _request_as(AnonymousUser())
    user = _request_as(SimpleNamespace(is_authenticated=True, pk=7, id=7))
    assert [Limits().allow_request(anonymous, None) for _ in range(3)] == [True, True, False]
    assert [Limits().allow_request(user, None) for _ in range(5)] == [True] * 4 + [False]
    refused = Limits()
    assert not refused.allow_request(user, None)
    assert 1 <= refused.wait() <= 60 and refused.wait() == int(refused.wait())


def test_the_default_throttle_skips_a_scope_without_a_rate(shared_cache):
    class AnonOnly(AnonOrUserRateThrottle):
        THROTTLE_RATES = {"anon": "1/min", "user": None}

    user = _request_as(SimpleNamespace(is_authenticated=True, pk=7, id=7))
    assert all(AnonOnly().allow_request(user, None) for _ in range(5))


def test_the_default_throttle_names_a_missing_rate():
    from django.core.exceptions import ImproperlyConfigured

    class NoRates(AnonOrUserRateThrottle):
        THROTTLE_RATES: dict = {}

    with pytest.raises(ImproperlyConfigured, match="'anon'"):
        NoRates().allow_request(_request_as(AnonymousUser()), None)


def test_local_memory_counter_is_a_regular_cache_value():
    # Local memory counts every request in the cache with its public API: get() reads it, and
    # it expires with the timeout it was created with (incr keeps it).
    backend = LocMemCache("throttle-counter-test", {})
    assert [throttling._add_to_counter(backend, "hits", 1, 1) for _ in range(3)] == [1, 2, 3]
    assert backend.get("hits") == 3
    backend.touch("hits", 0)  # as if its time ran out
    assert throttling._add_to_counter(backend, "hits", 1, 1) == 1
    assert backend.get("hits") == 1


def test_local_memory_counter_culls_a_full_cache():
    backend = LocMemCache(
        "throttle-cull-test", {"OPTIONS": {"MAX_ENTRIES": 10, "CULL_FREQUENCY": 2}}
    )
    for i in range(25):
        throttling._add_to_counter(backend, f"client-{i}", 1, 60)
    assert len(backend._cache) <= 10
    assert backend.get("client-24") == 1


def test_local_memory_counter_still_warns_about_unportable_keys():
    from django.core.cache import CacheKeyWarning

    backend = LocMemCache("throttle-key-test", {})
    with pytest.warns(CacheKeyWarning):
        throttling._add_to_counter(backend, "has space", 1, 60)
    with pytest.warns(CacheKeyWarning):
        throttling._add_to_counter(backend, "k" * 300, 1, 60)


def test_the_default_cache_object_follows_settings_changes(settings):
    # Looked up once per thread, but a new CACHES setting (tests, reloads) takes effect.
    first = throttling._backend(cache)
    assert first is caches["default"]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "x"}
    }
    second = throttling._backend(cache)
    assert second is caches["default"] and second is not first


def _hammer(processes: int, config: dict) -> list[dict[str, int]]:
    """Run ``processes`` worker processes (``throttle_workers``) together; their counts."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    config = {"start_at": time.time() + 3.0, "max_requests": 10_000, **config}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.apipatterns.throttle_workers", json.dumps(config)],
            cwd=root,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    results = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0, out
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.mark.parametrize("backend", [FAIL_SAFE_BACKEND, DJANGO_REDIS_BACKEND])
def test_processes_and_threads_get_exactly_the_rate_with_leases(redis_url, backend):
    # The bound this proves (module docstring): while Redis answers, a client gets at most its
    # rate per window whatever the processes x threads (overshoot 0), and no fewer while
    # workers keep receiving its requests (every leased unit within the rate is served).
    import uuid

    rate, processes, threads = 500, 3, 4
    client = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    window_middle = (time.time() // 86400) * 86400 + 43200  # the middle of a day window
    results = _hammer(
        processes,
        {
            "backend": backend,
            "location": redis_url,
            "rate": f"{rate}/day",
            "client": client,
            "threads": threads,
            "window_middle": window_middle,
        },
    )
    allowed = sum(r["allowed"] for r in results)
    assert allowed == rate, results
    assert all(r["refused"] == threads for r in results)  # every thread was refused at the end
    counter = redis.Redis.from_url(redis_url).get(
        f":1:throttle_anon_{client}:{int(window_middle // 86400)}"
    )
    # Leases, not one count per request: fewer increments than requests, never over the
    # rate plus one lease per refused thread.
    assert rate <= int(counter) <= rate + processes * threads * 20


def test_threads_get_exactly_the_rate_with_leases_in_local_memory(settings):
    # Local memory leases too (one LocMemCache.incr per lease, not per request): threads, each
    # with its own cache object over the one shared store, get exactly the rate (overshoot 0,
    # and none lost while every thread keeps sending), and the counter holds leases, not one
    # increment per request.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    settings.API_THROTTLE_LEASE_SIZE = 20
    settings.API_THROTTLE_LEASE_WORKERS = 8
    rate, threads = 500, 6
    now = (time.time() // 86400) * 86400 + 43200  # the middle of a day window

    class PerDay(AnonRateThrottle):
        timer = staticmethod(lambda: now)

        def get_rate(self):
            return f"{rate}/day"

    start = threading.Barrier(threads)
    counts = [[0, 0] for _ in range(threads)]

    def hammer(i):
        start.wait()
        request = _anon_request()
        for _ in range(10_000):
            if PerDay().allow_request(request, None):
                counts[i][0] += 1
            else:
                counts[i][1] += 1
                break  # refused: the window's budget is spent

    workers = [threading.Thread(target=hammer, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(allowed for allowed, _ in counts) == rate, counts
    assert all(refused == 1 for _, refused in counts)
    counter = cache.get(f"throttle_anon_10.0.0.9:{int(now // 86400)}")
    assert rate <= counter <= rate + threads * 20
    assert isinstance(caches["default"], LocMemCache)


def test_processes_fail_open_while_redis_is_down():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    results = _hammer(
        2,
        {
            "backend": FAIL_SAFE_BACKEND,
            "location": f"redis://127.0.0.1:{port}/0",
            "rate": "5/day",
            "client": "10.0.0.1",
            "threads": 2,
            "window_middle": (time.time() // 86400) * 86400 + 43200,
            "max_requests": 50,
        },
    )
    assert results == [{"allowed": 100, "refused": 0}] * 2  # nothing counted, nothing refused


def test_a_lease_serves_many_requests_and_never_outlives_its_window(settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": FAIL_SAFE_BACKEND, "LOCATION": redis_url}}
    settings.API_THROTTLE_LEASE_SIZE = 20
    settings.API_THROTTLE_LEASE_WORKERS = 8
    cache.clear()
    now = [(time.time() // 60) * 60 + 10]

    class Hundred(AnonRateThrottle):
        rate = "100/min"
        timer = staticmethod(lambda: now[0])

    request = _anon_request()
    window = int(now[0] // 60)
    assert all(Hundred().allow_request(request, None) for _ in range(10))
    assert cache.get(f"throttle_anon_10.0.0.9:{window}") == 12  # one lease: 100 // 8 units
    now[0] += 60  # the next window: the two units left are not carried over
    assert Hundred().allow_request(request, None)
    assert cache.get(f"throttle_anon_10.0.0.9:{window + 1}") == 12
    assert cache.get(f"throttle_anon_10.0.0.9:{window}") == 12


def test_leases_shrink_as_the_budget_runs_out(settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": FAIL_SAFE_BACKEND, "LOCATION": redis_url}}
    cache.clear()
    now = (time.time() // 60) * 60 + 10

    class Forty(AnonRateThrottle):
        rate = "40/min"
        timer = staticmethod(lambda: now)

    request = _anon_request()
    key = f"throttle_anon_10.0.0.9:{int(now // 60)}"
    seen = []
    for _ in range(40):
        assert Forty().allow_request(request, None)
        seen.append(cache.get(key))
    leases = sorted(set(seen))
    sizes = [b - a for a, b in zip([0, *leases], leases, strict=False)]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1  # 5, 4, 3, ... 1
    assert leases[-1] == 40
    for _ in range(3):  # the last lease saw the budget spent: refused without a round trip
        assert not Forty().allow_request(request, None)
    assert cache.get(key) == 40


def test_leases_of_ended_windows_are_dropped_when_many_clients_came(monkeypatch):
    monkeypatch.setattr(throttling._LeaseBook, "SWEEP_ABOVE", 3)
    book = throttling._LeaseBook(0)
    for i in range(3):
        book.lease(f"old-{i}", 100.0).expires = 90.0  # their windows ended at t=90
    live = book.lease("live", 100.0)
    live.expires = 160.0
    assert set(book.leases) == {"live"}
    assert book.lease("live", 100.5) is live  # kept while its window lasts
