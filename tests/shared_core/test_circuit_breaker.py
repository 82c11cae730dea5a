"""shared_core.circuit_breaker: states, the single probe, and no serialisation of calls."""

from __future__ import annotations

import threading

import pytest

from shared_core.circuit_breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    get_circuit_breaker,
    reset_circuit_breakers,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_opens_after_consecutive_failures_only(clock):
    breaker = CircuitBreaker(3, 10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success in between resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == CLOSED and breaker.allow() is None
    breaker.record_failure()
    assert breaker.state == OPEN
    assert breaker.allow() == pytest.approx(10)
    clock.now += 4
    assert breaker.allow() == pytest.approx(6)


def test_half_open_lets_exactly_one_probe_through(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.state == HALF_OPEN
    assert breaker.allow() is None  # the probe
    assert breaker.allow() is not None  # everyone else waits for its outcome
    breaker.record_success()
    assert breaker.state == CLOSED
    assert breaker.allow() is None and breaker.allow() is None


def test_failed_probe_reopens_for_a_full_reset_timeout(clock):
    breaker = CircuitBreaker(5, 10, clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.now += 10
    assert breaker.allow() is None
    breaker.record_failure()  # one failure is enough while half-open
    assert breaker.state == OPEN
    assert breaker.allow() == pytest.approx(10)


def test_probe_that_never_reports_expires(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow() is None
    clock.now += 5
    assert breaker.allow() is not None
    clock.now += 5
    assert breaker.allow() is None  # the lost probe no longer blocks


def test_release_frees_the_probe_without_changing_state(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow() is None
    breaker.release()
    assert breaker.state == HALF_OPEN
    assert breaker.allow() is None


def test_bad_arguments():
    with pytest.raises(ValueError):
        CircuitBreaker(0, 10)
    with pytest.raises(ValueError):
        CircuitBreaker(1, 0)


def test_closed_breaker_admits_concurrent_callers():
    """allow() never waits for another caller's call: 20 threads are all inside at once."""
    breaker = CircuitBreaker(5, 10)
    inside = threading.Barrier(20, timeout=10)
    admitted = []

    def caller() -> None:
        admitted.append(breaker.allow() is None)
        inside.wait()  # would time out (BrokenBarrierError) if calls were serialised
        breaker.record_success()

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted == [True] * 20
    assert not inside.broken


def test_registry_shares_one_breaker_per_origin_and_thresholds():
    reset_circuit_breakers()
    try:
        a = get_circuit_breaker("http://a:1", 5, 30)
        assert get_circuit_breaker("http://a:1", 5, 30.0) is a
        assert get_circuit_breaker("http://b:1", 5, 30) is not a
        assert get_circuit_breaker("http://a:1", 2, 30) is not a
    finally:
        reset_circuit_breakers()
