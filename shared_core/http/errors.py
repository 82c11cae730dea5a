"""The errors :class:`~shared_core.http.HTTPClient` raises: the contract its callers rely on.

Every error is a :class:`ServiceError` carrying ``method``, ``url`` (query secrets redacted),
``attempts`` and ``request_sent`` (whether the request may have reached the server). The classes
say what went wrong, not what to answer: an app maps them to its own responses (``apipatterns``
turns timeouts into 504 ``upstream_timeout``; connection failures, 503/429 and an open circuit into
503 ``upstream_unavailable``; any other downstream error or a non-JSON body into 502
``upstream_error``).
"""

from __future__ import annotations

__all__ = [
    "CircuitOpenError",
    "DeadlineExceededError",
    "IncompleteResponseError",
    "InvalidJSONError",
    "ServiceConnectTimeoutError",
    "ServiceConnectionError",
    "ServiceError",
    "ServiceHTTPError",
    "ServiceReadTimeoutError",
    "ServiceTimeoutError",
    "ServiceUnavailableError",
]


class ServiceError(Exception):
    """Base of every error raised by :class:`~shared_core.http.HTTPClient`.

    ``method`` and ``url`` (query secrets redacted) name the call; ``attempts`` says how many
    attempts were made (0 when none was, e.g. the circuit was open).
    """

    #: Whether the request may have reached the server (so it may have had an effect).
    request_sent: bool = True

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.attempts = 0


class ServiceConnectionError(ServiceError):
    """The downstream service could not be reached (nothing was sent), or, for the
    :class:`IncompleteResponseError` subclass, the connection broke before a full answer."""

    request_sent = False


class IncompleteResponseError(ServiceConnectionError):
    """The connection broke after the request was sent: it closed without an answer, or the
    body was shorter than announced. The request may have had an effect."""

    request_sent = True


class ServiceTimeoutError(ServiceError):
    """The downstream service did not connect or answer in time."""


class ServiceConnectTimeoutError(ServiceTimeoutError):
    """No connection within the connect timeout; nothing was sent."""

    request_sent = False


class ServiceReadTimeoutError(ServiceTimeoutError):
    """The request was sent but the answer (headers or body) did not come within the read
    timeout."""


class DeadlineExceededError(ServiceTimeoutError):
    """The call's overall deadline ran out (retries and backoff included)."""


class ServiceHTTPError(ServiceError):
    """The downstream service answered with an error status (>= 400), or with a redirect where a
    JSON answer was expected. ``body_snippet`` is the start of the body, secrets redacted."""

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

    request_sent = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: str) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidJSONError(ServiceError):
    """The response body was expected to be JSON and was not."""

    def __init__(self, message: str, *, status: int = 0, body_snippet: str = "", **kwargs: str):
        super().__init__(message, **kwargs)
        self.status = status
        self.body_snippet = body_snippet
