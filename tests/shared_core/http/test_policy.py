"""shared_core.http.policy: the circuit breaker (states, the single probe, no serialisation of
calls) and the retry policy's decisions."""

from __future__ import annotations

import threading

import pytest

from shared_core.http.policy import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    RetryPolicy,
    get_circuit_breaker,
    parse_retry_after,
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


# --- late verdicts: calls admitted before the breaker last changed state -----------------------


def test_late_failure_of_a_call_admitted_while_closed_does_not_extend_the_open_window(clock):
    breaker = CircuitBreaker(2, 10, clock=clock)
    slow_call = clock()
    assert breaker.allow() is None  # admitted while closed
    clock.now += 1
    breaker.record_failure(started_at=clock())
    breaker.record_failure(started_at=clock())  # opens at t=1001
    clock.now += 6
    breaker.record_failure(started_at=slow_call)  # the slow call fails late
    assert breaker.allow() == pytest.approx(4)  # still the first window
    clock.now += 4
    assert breaker.state == HALF_OPEN


def test_late_failure_does_not_take_the_verdict_of_the_probe(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)
    slow_call = clock()
    assert breaker.allow() is None
    clock.now += 1
    breaker.record_failure(started_at=clock())
    clock.now += 10
    probe = clock()
    assert breaker.allow() is None  # the probe
    breaker.record_failure(started_at=slow_call)  # stale: neither reopens nor frees the slot
    assert breaker.state == HALF_OPEN
    assert breaker.allow() is not None
    breaker.record_success()  # the probe's verdict decides
    assert breaker.state == CLOSED
    assert probe >= slow_call


def test_late_failure_from_before_a_close_does_not_count_towards_the_next_opening(clock):
    breaker = CircuitBreaker(2, 10, clock=clock)
    old_call = clock()
    clock.now += 1
    breaker.record_failure(started_at=clock())
    breaker.record_failure(started_at=clock())
    clock.now += 10
    assert breaker.allow() is None
    breaker.record_success()  # closed again
    clock.now += 1
    breaker.record_failure(started_at=old_call)
    assert breaker.failures == 0
    breaker.record_failure(started_at=clock())
    assert breaker.state == CLOSED  # one fresh failure of two


def test_failure_reported_without_start_time_still_counts(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    assert breaker.state == OPEN


# --- scenarios ported from pybreaker's tests ----------------------------------------------------


def test_new_breaker_is_closed_with_no_failures():
    breaker = CircuitBreaker(5, 60)
    assert breaker.state == CLOSED and breaker.failures == 0
    assert (breaker.failure_threshold, breaker.reset_timeout) == (5, 60)


def test_success_after_failures_resets_the_count_to_zero(clock):
    breaker = CircuitBreaker(3, 10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.failures == 2
    breaker.record_success()
    assert breaker.failures == 0 and breaker.state == CLOSED


def test_successful_probe_closes_and_forgets_the_failures(clock):
    breaker = CircuitBreaker(2, 10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow() is None
    breaker.record_success()
    assert breaker.state == CLOSED and breaker.failures == 0


def test_reset_closes_an_open_breaker(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    assert breaker.allow() is not None
    breaker.reset()
    assert breaker.state == CLOSED and breaker.allow() is None


def test_concurrent_failures_are_all_counted():
    breaker = CircuitBreaker(10_000, 60)
    barrier = threading.Barrier(8)

    def fail() -> None:
        barrier.wait()
        for _ in range(500):
            breaker.record_failure()

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert breaker.failures == 4000 and breaker.state == CLOSED


def test_half_open_admits_one_probe_among_concurrent_callers(clock):
    breaker = CircuitBreaker(1, 10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    barrier = threading.Barrier(8)
    admitted = []

    def ask() -> None:
        barrier.wait()
        if breaker.allow() is None:
            admitted.append(1)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted == [1]


# --- RetryPolicy --------------------------------------------------------------------------------


def policy(retries: int = 3) -> RetryPolicy:
    return RetryPolicy(retries=retries, backoff_factor=0.5, backoff_max=4.0)


def test_a_retryable_failure_waits_the_backoff_before_the_next_attempt():
    delay = policy().next_delay(1, 4, retryable=True, retry_after=None, time_left=30.0)
    assert delay is not None
    assert 0.25 <= delay <= 0.5


def test_no_retry_when_the_failure_is_not_retryable_or_the_attempts_are_spent():
    assert policy().next_delay(1, 4, retryable=False, retry_after=None, time_left=30) is None
    assert policy().next_delay(4, 4, retryable=True, retry_after=None, time_left=30) is None


def test_retry_after_wins_over_the_backoff():
    assert policy().next_delay(1, 4, retryable=True, retry_after=2.5, time_left=30) == 2.5


def test_a_wait_past_the_deadline_is_not_started():
    assert policy().next_delay(1, 4, retryable=True, retry_after=10.0, time_left=5.0) is None
    slow = RetryPolicy(retries=3, backoff_factor=8.0, backoff_max=8.0)
    assert slow.next_delay(1, 4, retryable=True, retry_after=None, time_left=3.0) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retries": -1}, "retries"),
        ({"backoff_factor": float("nan")}, "backoff_factor"),
        ({"backoff_max": float("inf")}, "backoff_max"),
        ({"backoff_factor": -1.0}, "backoff_factor"),
    ],
)
def test_bad_retry_policies_are_refused(kwargs, message):
    values = {"retries": 1, "backoff_factor": 0.5, "backoff_max": 1.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**values)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (None, None), ("soon", None), ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0)],
)
def test_retry_after_is_read_in_both_forms_and_junk_is_ignored(value, seconds):
    assert parse_retry_after(value) == seconds
