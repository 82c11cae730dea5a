"""Service-to-service HTTP: ``HTTPClient``, its errors, and one shared client per service.

The package splits the way requests does (``sessions.py`` / ``adapters.py``):

* :mod:`~shared_core.http.errors`: the exception hierarchy callers catch;
* :mod:`~shared_core.http.transport`: the requests session on a bounded urllib3 pool, every wait
  inside the call's deadline;
* :mod:`~shared_core.http.policy`: retry and backoff rules, and the per-host circuit breaker;
* :mod:`~shared_core.http.client`: :class:`HTTPClient` (the attempt loop and its log lines);
* :mod:`~shared_core.http.registry`: :func:`client_for`, one client per downstream service.

It knows no API convention: a body is returned as the service sent it.
"""

from shared_core.http.client import HTTPClient
from shared_core.http.errors import (
    CircuitOpenError,
    DeadlineExceededError,
    IncompleteResponseError,
    InvalidJSONError,
    ServiceConnectionError,
    ServiceConnectTimeoutError,
    ServiceError,
    ServiceHTTPError,
    ServiceReadTimeoutError,
    ServiceTimeoutError,
    ServiceUnavailableError,
)
from shared_core.http.policy import (
    CircuitBreaker,
    RetryPolicy,
    get_circuit_breaker,
    reset_circuit_breakers,
)
from shared_core.http.registry import clear_clients, client_for, service_url

__all__ = [
    "CircuitBreaker",
    "CircuitOpenError",
    "DeadlineExceededError",
    "HTTPClient",
    "IncompleteResponseError",
    "InvalidJSONError",
    "RetryPolicy",
    "ServiceConnectTimeoutError",
    "ServiceConnectionError",
    "ServiceError",
    "ServiceHTTPError",
    "ServiceReadTimeoutError",
    "ServiceTimeoutError",
    "ServiceUnavailableError",
    "clear_clients",
    "client_for",
    "get_circuit_breaker",
    "reset_circuit_breakers",
    "service_url",
]
