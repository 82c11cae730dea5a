"""When to try again: the retry and backoff rules, and the per-host circuit breaker.

Who retries, urllib3 or us
--------------------------
urllib3's ``Retry`` (mounted on a requests ``HTTPAdapter``) retries *inside* one ``urlopen`` call,
so it cannot do what a service-to-service client needs:

* it reuses the same connect/read timeouts on every attempt and sleeps for backoff and for
  ``Retry-After`` without knowing about our deadline (a ``Retry-After: 3600`` is slept, capped
  only by ``retry_after_max``, six hours by default);
* requests reads the body *after* ``urlopen`` returns, so a truncated body or a read timeout in
  the middle of the body is never retried (and surfaces as ``ChunkedEncodingError`` or a
  ``requests.ConnectionError`` that hides a read timeout);
* it cannot give each attempt its own log line or report each attempt to a circuit breaker.

So the transport makes exactly one attempt per send (``Retry(0, read=False)``, requests' own
default) and :class:`~shared_core.http.HTTPClient` runs the loop, asking :class:`RetryPolicy`
whether and how long to wait. What urllib3 does well we still use: its
``Retry.DEFAULT_ALLOWED_METHODS`` is our set of idempotent methods and
``Retry.parse_retry_after`` reads ``Retry-After`` in both forms (seconds and HTTP date).

Retry rules (``retries`` = attempts after the first; every attempt is bounded by the deadline):

* could not connect, connect timeout, no free pooled connection: any method (nothing was sent);
* read timeout, connection dropped before an answer, truncated body, 429/502/503/504: idempotent
  methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) only; POST/PATCH only with an
  ``Idempotency-Key``, and then with the SAME key on every attempt;
* 429/503 ``Retry-After`` is honoured; when it is longer than the time left, the call fails at
  once (``ServiceUnavailableError.retry_after`` set);
* otherwise the wait is exponential with "equal jitter": ``cap / 2 + uniform(0, cap / 2)`` where
  ``cap = min(backoff_max, backoff_factor * 2 ** (retry - 1))`` (capped before the power is
  computed, so any ``retries`` value is safe); a wait that would run past the deadline is not
  started: the last error is raised at once;
* request bodies that cannot be replayed (generators, open files) are sent once.

The circuit breaker
-------------------
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

:class:`~shared_core.http.HTTPClient` reports every attempt: connect errors, timeouts, broken
responses and 5xx are failures; any other answer (4xx included) is a success.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from collections.abc import Callable

from urllib3.util import Retry

__all__ = [
    "CLOSED",
    "HALF_OPEN",
    "IDEMPOTENCY_KEY_HEADER",
    "IDEMPOTENT_METHODS",
    "OPEN",
    "RETRY_STATUSES",
    "UNAVAILABLE_STATUSES",
    "CircuitBreaker",
    "RetryPolicy",
    "get_circuit_breaker",
    "parse_retry_after",
    "reset_circuit_breakers",
]

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
#: Methods that may be re-sent after the request reached the server (RFC 9110 idempotent).
IDEMPOTENT_METHODS = frozenset(Retry.DEFAULT_ALLOWED_METHODS)
#: Answers worth another attempt (for idempotent or keyed requests).
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Answers that mean "overloaded / down, come back later" and may carry ``Retry-After``.
UNAVAILABLE_STATUSES = frozenset({429, 503})

_RETRY_AFTER_PARSER = Retry(0)


# --- Retries ------------------------------------------------------------------------------------


def parse_retry_after(value: str | None) -> float | None:
    """Seconds asked for by a ``Retry-After`` value (seconds or HTTP date); ``None`` when absent
    or unreadable (then our own backoff applies)."""
    if value is None:
        return None
    try:
        return float(_RETRY_AFTER_PARSER.parse_retry_after(value))
    except Exception:
        return None


def _capped_exponential(factor: float, cap: float, exponent: int) -> float:
    """``min(cap, factor * 2 ** exponent)`` without ever computing a huge power.

    The cap is applied before the exponentiation, so any attempt number (a client built with
    ``retries=10_000``) gives ``cap`` instead of an ``OverflowError``.
    """
    if factor <= 0 or cap <= 0:
        return 0.0
    exponent = max(exponent, 0)
    # 2 ** exponent reaches cap / factor after log2(cap / factor) doublings.
    if exponent >= math.log2(cap / factor):
        return cap
    return min(cap, factor * 2.0**exponent)


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts a call gets and how long to wait between them (rules above).

    ``retries`` counts the attempts after the first; the backoff before retry ``n`` is
    exponential from ``backoff_factor``, capped at ``backoff_max``, with equal jitter.
    """

    retries: int
    backoff_factor: float
    backoff_max: float

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError("retries must be 0 or more")
        if not (
            0 <= self.backoff_factor < math.inf and 0 <= self.backoff_max < math.inf
        ):  # NaN fails too
            raise ValueError("backoff_factor and backoff_max must be finite and not negative")

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 = the first retry): exponential,
        capped at ``backoff_max``, with "equal jitter" so that callers spread out."""
        cap = _capped_exponential(self.backoff_factor, self.backoff_max, retry_number - 1)
        # Jitter only spreads retries out; it needs no cryptographic randomness.
        return cap / 2 + random.uniform(0, cap / 2)  # noqa: S311

    def next_delay(
        self,
        attempts: int,
        max_attempts: int,
        *,
        retryable: bool,
        retry_after: float | None,
        time_left: float,
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to stop now.

        ``retryable`` says whether another attempt may help and is safe (transient failure, and
        nothing was sent or the request is idempotent). A server's ``Retry-After`` wins over our
        backoff; a wait that would end past the deadline (``time_left``) is not started.
        """
        if not retryable or attempts >= max_attempts:
            return None
        # The server said when: sooner is pointless, later than our deadline is impossible, so
        # then give up now rather than sleep into a certain failure.
        delay = retry_after if retry_after is not None else self.backoff(attempts)
        return delay if delay < time_left else None


# --- The circuit breaker ------------------------------------------------------------------------


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
