"""A small per-host circuit breaker that never serialises calls.

Why our own: pybreaker (the maintained library) runs the protected call while holding the breaker's
lock, so one slow call blocks every other thread calling the same host; here the lock only guards
a few counters and is never held while a call runs.

States: *closed* (calls pass; ``failure_threshold`` consecutive failures open it), *open* (calls are
refused for ``reset_timeout`` seconds), *half-open* (one probe call is let through; its success
closes the breaker, its failure opens it again for another ``reset_timeout``). A probe whose
outcome is never reported stops blocking others after ``reset_timeout``.

Late verdicts: a call admitted before the breaker last changed state (opened, or closed again)
reports about a host that has been judged since. Its failure is ignored when the caller says when
it was admitted (``record_failure(started_at=...)``): it neither restarts nor extends the open
window, nor consumes the probe's verdict, nor counts towards the next opening. (pybreaker never
meets this case: it runs the call under its lock.) A late success still closes the breaker: the
host did answer, just now.

:class:`~shared_core.clients.HTTPClient` reports every attempt: connect errors, timeouts, broken
responses and 5xx are failures; any other answer (4xx included) is a success.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"


class CircuitBreaker:
    """Count consecutive failures of one host and refuse calls while it looks down.

    Thread safe: :meth:`allow`, :meth:`record_success`, :meth:`record_failure` and
    :meth:`release` may be called from any thread; none of them blocks on a running call.
    """

    def __init__(
        self,
        failure_threshold: int,
        reset_timeout: float,
        *,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_timeout <= 0:
            raise ValueError("reset_timeout must be positive")
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.name = name
        self.clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        # When the state last changed between closed and open: verdicts of calls admitted
        # before that moment are stale.
        self._changed_at = -math.inf
        self._probe_started_at: float | None = None

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name or '?'} {self.state} failures={self._failures}>"

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open`` (an open breaker whose timeout ran out)."""
        with self._lock:
            if self._state == OPEN and self.clock() - self._opened_at >= self.reset_timeout:
                return HALF_OPEN
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted since the last success."""
        return self._failures

    def allow(self) -> float | None:
        """Ask to make one call: ``None`` means go ahead (and report the outcome); otherwise the
        number of seconds until the breaker will let a probe through."""
        with self._lock:
            if self._state == CLOSED:
                return None
            now = self.clock()
            if self._state == OPEN:
                wait = self.reset_timeout - (now - self._opened_at)
                if wait > 0:
                    return wait
                self._state = HALF_OPEN
                self._probe_started_at = None
            # Half-open: exactly one probe at a time; a probe that never reported expires.
            if self._probe_started_at is None or now - self._probe_started_at >= self.reset_timeout:
                self._probe_started_at = now
                return None
            return max(self.reset_timeout - (now - self._probe_started_at), 0.001)

    def record_success(self) -> None:
        """The host answered: close the breaker and forget past failures."""
        with self._lock:
            if self._state != CLOSED:
                self._changed_at = self.clock()
            self._state = CLOSED
            self._failures = 0
            self._probe_started_at = None

    def record_failure(self, started_at: float | None = None) -> None:
        """The host failed: count it, and open the breaker at the threshold (or after a probe).

        ``started_at`` is the breaker's clock (:attr:`clock`) read before the call's
        :meth:`allow`: a failure of a call admitted before the breaker last opened or closed is
        stale and changes nothing (so a slow call failing late never extends an open window).
        """
        with self._lock:
            if started_at is not None and started_at < self._changed_at:
                return
            self._failures += 1
            if self._state != CLOSED or self._failures >= self.failure_threshold:
                now = self.clock()
                self._state = OPEN
                self._opened_at = self._changed_at = now
                self._probe_started_at = None

    def release(self) -> None:
        """The call said nothing about the host (e.g. no pooled connection was free): free the
        probe slot without changing the state."""
        with self._lock:
            self._probe_started_at = None

    def reset(self) -> None:
        """Close the breaker (tests, admin actions)."""
        self.record_success()


_registry: dict[tuple[str, int, float], CircuitBreaker] = {}
_registry_lock = threading.Lock()


def get_circuit_breaker(
    origin: str, failure_threshold: int, reset_timeout: float
) -> CircuitBreaker:
    """Return the process-wide breaker for ``origin`` (``scheme://host:port``).

    Every client calling the same host with the same thresholds shares one breaker, so a client
    built per request still sees the host's state.
    """
    key = (origin, failure_threshold, float(reset_timeout))
    with _registry_lock:
        breaker = _registry.get(key)
        if breaker is None:
            breaker = _registry[key] = CircuitBreaker(failure_threshold, reset_timeout, name=origin)
        return breaker


def reset_circuit_breakers() -> None:
    """Forget every shared breaker (tests)."""
    with _registry_lock:
        _registry.clear()
