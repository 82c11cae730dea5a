"""shared_core.cache.FailSafeRedisCache against a real Redis, and against a port nobody serves."""

from __future__ import annotations

import logging
import socket

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from shared_core import cache as cache_module
from shared_core.cache import FailSafeRedisCache


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"  # nothing listens there once the socket is closed


@pytest.fixture
def dead_cache(monkeypatch) -> FailSafeRedisCache:
    monkeypatch.setattr(cache_module, "LOG_EVERY", 3600.0)
    return FailSafeRedisCache(closed_port_url(), {})


def test_an_unreachable_redis_answers_as_an_empty_cache(dead_cache):
    assert dead_cache.get("k") is None
    assert dead_cache.get("k", "fallback") == "fallback"
    assert dead_cache.set("k", 1) is None
    assert dead_cache.add("k", 1) is False  # "not stored": a lock taken with add() is not held
    assert dead_cache.delete("k") is False
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert dead_cache.has_key("k") is False
    assert dead_cache.touch("k") is False
    with pytest.raises(ValueError, match="not found"):
        dead_cache.incr("k")


def test_outages_are_logged_but_not_once_per_call(dead_cache, caplog):
    caplog.set_level(logging.WARNING, logger="shared_core.cache")

    for _ in range(5):
        dead_cache.get("k")

    lines = [r for r in caplog.records if r.name == "shared_core.cache"]
    assert len(lines) == 1
    assert "Cache unavailable: get failed" in lines[0].getMessage()


def test_strict_raises_as_djangos_backend_does(dead_cache):
    with pytest.raises(RedisConnectionError):
        dead_cache.strict.get("k")


def test_socket_timeouts_are_bounded_by_default():
    backend = FailSafeRedisCache("redis://127.0.0.1:6379/0", {"OPTIONS": {"socket_timeout": 2}})
    options = backend.options
    assert options["socket_connect_timeout"] == cache_module.DEFAULT_SOCKET_TIMEOUT
    assert options["socket_timeout"] == 2  # an explicit option wins


def test_a_live_redis_works_normally(redis_url):
    live = FailSafeRedisCache(redis_url, {"KEY_PREFIX": "failsafe-test"})
    live.set("k", {"v": 1}, 30)
    assert live.get("k") == {"v": 1}
    assert live.add("k", 2) is False and live.add("other", 2) is True
    assert live.incr("other") == 3
    assert live.strict.get("k") == {"v": 1}
    live.delete_many(["k", "other"])
    assert live.get("k") is None


def test_cache_objects_share_one_client_per_process(redis_url):
    # Django makes a cache object per thread and its RedisCache a redis.Redis per operation;
    # the suite's backend keeps one client (one connection pool) per server and options.
    import threading

    clients = []

    def make() -> None:
        clients.append(FailSafeRedisCache(redis_url, {"KEY_PREFIX": "a"}).client)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in clients}) == 1
    other_options = FailSafeRedisCache(redis_url, {"OPTIONS": {"socket_timeout": 3}}).client
    assert other_options is not clients[0]


def test_values_are_readable_by_djangos_redis_backend_and_back(redis_url):
    from django.core.cache.backends.redis import RedisCache

    ours = FailSafeRedisCache(redis_url, {"KEY_PREFIX": "interop"})
    django = RedisCache(redis_url, {"KEY_PREFIX": "interop"})
    ours.set_many({"n": 5, "obj": {"a": [1, 2]}, "flag": True}, 30)
    assert django.get_many(["n", "obj", "flag"]) == {"n": 5, "obj": {"a": [1, 2]}, "flag": True}
    django.set("d", ("x", 1), 30)
    assert ours.get("d") == ("x", 1)
    assert ours.incr("n", 2) == 7 and django.get("n") == 7
    ours.delete_many(["n", "obj", "flag", "d"])


def test_incr_or_create_counts_atomically_with_a_time_to_live(redis_url):
    live = FailSafeRedisCache(redis_url, {"KEY_PREFIX": "count-test"})
    assert live.incr_or_create("c", 5, 30) == 5
    assert live.incr_or_create("c", 2, 300) == 7  # an existing counter keeps its expiry
    assert 0 < live.client.ttl(live.make_key("c")) <= 30
    assert live.get("c") == 7
    live.delete("c")
    with pytest.raises(ValueError, match="not found"):
        live.incr("c")


def test_an_unreachable_redis_counts_nothing(dead_cache):
    assert dead_cache.incr_or_create("c", 5, 30) == 0
    with pytest.raises(RedisConnectionError):
        dead_cache.strict.incr_or_create("c", 5, 30)


def test_clear_is_counted_per_process(redis_url):
    live = FailSafeRedisCache(redis_url, {})
    before = live.clears
    FailSafeRedisCache(redis_url, {"KEY_PREFIX": "other"}).clear()
    assert live.clears == before + 1


def test_unportable_keys_still_warn():
    from django.core.cache import CacheKeyWarning

    backend = FailSafeRedisCache(closed_port_url(), {})
    with pytest.warns(CacheKeyWarning):
        backend.make_and_validate_key("has space")
    with pytest.warns(CacheKeyWarning):
        backend.make_and_validate_key("k" * 300)
