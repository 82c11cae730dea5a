"""Middleware: problem+json for everything outside DRF, and one log line per request.

Order in ``MIDDLEWARE`` (``settings.base``)::

    "shared_core.request_id.RequestIDMiddleware",     # the ID every line and body carries
    "apipatterns.middleware.RequestLogMiddleware",     # sees the final status
    "apipatterns.middleware.ProblemDetailsMiddleware", # converts whatever is inside it
    ... Django's middleware ...
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter

from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import LazyObject, empty

from apipatterns.handlers import exception_response
from apipatterns.problems import Problem, ProblemJSONResponse
from apipatterns.wsgi import is_chunked
from shared_core.retry_after import parse_retry_after

logger = logging.getLogger("apipatterns.requests")

# Headers an error page may carry that still mean something on the problem response.
_DROPPED_HEADERS = frozenset({"content-type", "content-length"})


def _is_page(response: HttpResponseBase) -> bool:
    """An HTML or text body (Django's error pages, ``HttpResponseNotAllowed``, ...)."""
    content_type = response.get("Content-Type", "")
    return not content_type or content_type.startswith(("text/html", "text/plain"))


class ProblemDetailsMiddleware:
    """Return problem+json for errors that do not come from a DRF view.

    - ``process_exception``: exceptions raised by plain Django views (``Http404``,
      ``PermissionDenied``, ``ValidationError``, ``IntegrityError``, upstream errors, 500s).
    - A request with a chunked body and no length (``Transfer-Encoding: chunked`` reaching Django
      without :class:`apipatterns.wsgi.ChunkedBodyMiddleware`): 411 ``length_required``, since
      Django would read its body as empty.
    - Error pages Django made itself (unknown URLs when no ``handler404`` is set, the default
      ``handler500`` after an exception in an inner middleware, ``HttpResponseNotAllowed``, CSRF
      failures): any 4xx/5xx HTML or text response is replaced by a problem with the same status
      and headers. JSON responses and streaming responses are left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "HTTP_TRANSFER_ENCODING" in request.META and is_chunked(request.META):
            # Django would read this body as empty: refuse it rather than lose it.
            return ProblemJSONResponse(Problem(411))
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and not getattr(response, "is_problem", False)
            and not response.streaming
            and _is_page(response)
        ):
            return self._convert(response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase:
        return exception_response(exception, request)

    @staticmethod
    def _convert(response: HttpResponseBase) -> ProblemJSONResponse:
        status = response.status_code
        retry_after = parse_retry_after(response.get("Retry-After")) if status == 429 else None
        problem = ProblemJSONResponse(Problem(status, retry_after=retry_after or None))
        for name, value in response.headers.items():
            if name.lower() not in _DROPPED_HEADERS and name not in problem.headers:
                problem[name] = value
        problem.cookies = response.cookies
        return problem


def _body_size(response: HttpResponseBase) -> int | None:
    """The body's length in bytes: its ``Content-Length``, else the length of a non-streaming
    body; ``None`` for a streaming body of unknown length."""
    length = response.headers.get("Content-Length")
    if length is not None and length.isdigit():
        return int(length)
    if response.streaming:
        return None
    return len(response.content)  # type: ignore[attr-defined]


def _user_id(request: HttpRequest) -> str:
    """The user's id if authentication already ran; never triggers a query of its own."""
    user = getattr(request, "user", None)
    if user is None:
        return "-"
    if isinstance(user, LazyObject) and user._wrapped is empty:
        return "-"  # AuthenticationMiddleware's lazy user, never looked at
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    user_id = getattr(user, "id", None)
    if user_id is None:
        user_id = getattr(user, "pk", None)
    return str(user_id) if user_id is not None else "-"


class RequestLogMiddleware:
    """The one log line per request: method, path (never the query string, which may carry
    secrets), status, duration_ms, bytes, remote_addr and user_id; the logging config's filter
    adds the service and the request ID, as on every record.

    It replaces a WSGI server's access log (the services' gunicorn config turns gunicorn's off).
    Fields go in ``extra`` so the JSON log format has them as keys; 4xx log at WARNING, 5xx at
    ERROR, the rest at INFO; nothing is computed for a level the logger would drop.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        start = perf_counter()
        response = self.get_response(request)
        status = response.status_code
        level = (
            logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        )
        if logger.isEnabledFor(level):
            duration_ms = round((perf_counter() - start) * 1000, 2)
            user_id = _user_id(request)
            method, path = request.method, request.path
            size = _body_size(response)
            remote_addr = request.META.get("REMOTE_ADDR") or "-"
            logger.log(
                level,
                "%s %s %s %.2fms user=%s bytes=%s remote=%s",
                method,
                path,
                status,
                duration_ms,
                user_id,
                size,
                remote_addr,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "bytes": size,
                    "remote_addr": remote_addr,
                    "user_id": user_id,
                },
            )
        # This line replaces the "Not Found: /path" warning Django's handler would add after the
        # middleware chain, where the request ID is already gone (django.utils.log.log_response
        # skips responses marked as logged).
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
