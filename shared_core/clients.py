"""Service-to-service HTTP calls: ``HTTPClient`` and its typed exceptions.

The exceptions are the contract callers and ``apipatterns`` rely on:
timeouts map to 504 ``upstream_timeout``; connection failures, 503/429 and an open circuit to 503
``upstream_unavailable``; any other downstream error or a non-JSON body to 502 ``upstream_error``.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error raised by :class:`HTTPClient`."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class ServiceConnectionError(ServiceError):
    """The downstream service could not be reached (nothing was sent)."""


class ServiceTimeoutError(ServiceError):
    """The downstream service did not connect or answer in time."""


class DeadlineExceededError(ServiceTimeoutError):
    """The call's overall deadline ran out (retries and backoff included)."""


class ServiceHTTPError(ServiceError):
    """The downstream service answered with an error status (>= 400)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body_snippet: str = "",
        downstream_request_id: str | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.body_snippet = body_snippet
        self.downstream_request_id = downstream_request_id


class ServiceUnavailableError(ServiceHTTPError):
    """The downstream service is overloaded or down (503/429), possibly saying when to retry."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class CircuitOpenError(ServiceError):
    """The circuit breaker for this host is open: no call was made."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: str) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidJSONError(ServiceError):
    """The response body was expected to be JSON and was not."""

    def __init__(self, message: str, *, status: int = 0, body_snippet: str = "", **kwargs: str):
        super().__init__(message, **kwargs)
        self.status = status
        self.body_snippet = body_snippet
