"""Every exception, from every path, to one problem response.

- :func:`exception_handler` is DRF's ``EXCEPTION_HANDLER`` (DRF views, viewsets, generics).
- :func:`handle_exceptions` decorates any view (plain Django or DRF) with the same mapping.
- :func:`handler400` / :func:`handler403` / :func:`handler404` / :func:`handler500` are Django's
  error handlers for a project's root URLconf (unknown URLs, errors raised in middleware).
- :class:`apipatterns.middleware.ProblemDetailsMiddleware` covers the rest.

Transactions: error responses do not commit anything half-done. A write that fails inside
``transaction.atomic()`` is rolled back when the exception leaves the block; when a service sets
``ATOMIC_REQUESTS``, the request's transaction is marked for rollback here (DRF's
``set_rollback``) for every error response, since the handler runs inside it.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any, TypeVar

from django.core import signals
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework.views import set_rollback

from apipatterns.exceptions import APIError
from apipatterns.problems import (
    ProblemJSONResponse,
    build_problem,
    django_validation_items,
    flatten_errors,
    status_title,
)
from shared_core import http as clients

logger = logging.getLogger("apipatterns")
# Unexpected errors go where Django logs its own 500s (mail_admins and friends keep working).
request_logger = logging.getLogger("django.request")

F = TypeVar("F", bound=Callable[..., Any])

VALIDATION_DETAIL = _("The request contains invalid data.")
PARSE_DETAIL = _("The request body could not be parsed.")


#: Seconds a client should wait after a 503 ``service_unavailable`` (database unreachable).
DATABASE_RETRY_AFTER = 2
DATABASE_DETAIL = _("The service cannot reach its database right now. Try again shortly.")


def _retry_after(value: float | None) -> int:
    """An integer Retry-After of at least one second, also when the wait is unknown."""
    if value is None:
        return 1
    return max(1, math.ceil(value))


def problem_for_exception(
    exc: BaseException, request: HttpRequest | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Map an exception to ``(problem dict, extra response headers)``.

    Unexpected exceptions become a 500 ``internal_error``, are logged with the request ID (and
    traceback) on ``django.request``, and ``got_request_exception`` is sent as Django would.
    """
    headers: dict[str, str] = {}
    if isinstance(exc, APIError):
        problem = build_problem(exc.status_code, exc.code, exc.detail, exc.errors)
        headers.update(exc.headers)
    elif isinstance(exc, drf.ValidationError):
        problem = build_problem(
            400, "validation_error", VALIDATION_DETAIL, flatten_errors(exc.detail)
        )
    elif isinstance(exc, drf.ParseError):
        # DRF's message quotes the parser ("JSON parse error - Expecting value: line 1 ..."):
        # clients get a generic detail only.
        problem = build_problem(400, "parse_error", PARSE_DETAIL)
    elif isinstance(exc, drf.Throttled):
        wait = _retry_after(exc.wait)
        headers["Retry-After"] = str(wait)
        problem = build_problem(429, "throttled", exc.detail, retry_after=wait)
    elif isinstance(exc, drf.APIException):
        problem = _api_exception_problem(exc, headers)
        if exc.status_code >= 500:
            _report(exc, request, exc.status_code)
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        # Their messages name models ("No Ticket matches the given query."): keep them out.
        problem = build_problem(404, "not_found")
    elif isinstance(exc, PermissionDenied):
        problem = build_problem(403, "permission_denied")
    elif isinstance(exc, DjangoValidationError):
        problem = build_problem(
            400, "validation_error", VALIDATION_DETAIL, django_validation_items(exc)
        )
    elif isinstance(exc, RequestDataTooBig):
        problem = build_problem(413, "payload_too_large")
    elif isinstance(exc, SuspiciousOperation):
        problem = build_problem(400, "bad_request")
    elif isinstance(exc, IntegrityError):
        logger.warning("Integrity error answered with 409 conflict: %s", type(exc).__name__)
        problem = build_problem(409, "conflict")
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database refused or dropped the connection (restart, failover, too many
        # connections): a 503 the client may retry, not a 500. Logged with the traceback, since
        # SQLite also reports programming errors ("no such table") this way.
        logger.error("Database unavailable, answered 503", exc_info=exc)
        headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        problem = build_problem(503, "service_unavailable", DATABASE_DETAIL)
    elif isinstance(exc, clients.ServiceError):
        problem = _upstream_problem(exc, headers)
    else:
        problem = build_problem(500, "internal_error")
        _report(exc, request, 500)
    if problem["status"] == 429 and "retry_after" not in problem:
        # Any 429 (an APIError subclass, a rate limit from another library) says when to retry.
        given = headers.get("Retry-After", "")
        wait = (
            int(given)
            if given.isdigit() and int(given) >= 1
            else _retry_after(getattr(exc, "wait", None))
        )
        headers["Retry-After"] = str(wait)
        problem["retry_after"] = wait
    return problem, headers


def _upstream_problem(exc: clients.ServiceError, headers: dict[str, str]) -> dict[str, Any]:
    """``shared_core.http`` errors: 504 timeout, 503 unavailable, 502 anything else."""
    logger.warning("Upstream call failed: %s %s (%s)", exc.method, exc.url, type(exc).__name__)
    if isinstance(exc, clients.ServiceTimeoutError):
        return build_problem(504, "upstream_timeout")
    if isinstance(
        exc,
        clients.ServiceUnavailableError | clients.ServiceConnectionError | clients.CircuitOpenError,
    ):
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(_retry_after(retry_after))
        return build_problem(503, "upstream_unavailable")
    return build_problem(502, "upstream_error")


def _api_exception_problem(exc: drf.APIException, headers: dict[str, str]) -> dict[str, Any]:
    """A DRF ``APIException`` (not one of the kinds above): its status, a documented code.

    DRF's base class has the code ``"error"``, which names nothing: an exception that brings no
    code of its own gets the status's code (``internal_error`` for a bare ``APIException()``).
    DRF details that quote the request (``Unsupported media type "…"``, ``Method "…" not
    allowed``) are replaced by the status's generic detail.
    """
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    status = exc.status_code
    if isinstance(exc.detail, list | dict):
        errors = flatten_errors(exc.detail)
        for item in errors:  # items inherit the exception's code: DRF's placeholder says nothing
            item["code"] = _own_code(item["code"]) or "invalid"
        code = _own_code(exc.default_code) or ("validation_error" if status == 400 else None)
        return build_problem(status, code, None, errors)
    detail = None if isinstance(exc, _ECHOING_EXCEPTIONS) else exc.detail
    return build_problem(status, _own_code(exc.get_codes()), detail)


#: DRF exceptions whose default detail quotes what the client sent.
_ECHOING_EXCEPTIONS = (drf.UnsupportedMediaType, drf.MethodNotAllowed)


def _own_code(code: Any) -> str | None:
    """``code`` unless it is DRF's placeholder ``"error"`` (or not a string): ``None`` then."""
    if not isinstance(code, str) or code == drf.APIException.default_code:
        return None
    return code


def _report(exc: BaseException, request: HttpRequest | None, status: int) -> None:
    """Log a server error with its traceback on ``django.request`` and send
    ``got_request_exception``, as Django does for an exception it answers with a 500."""
    path = getattr(request, "path", "-")
    request_logger.error(
        "%s: %s",
        status_title(status),
        path,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": status, "request": request},
    )
    signals.got_request_exception.send(sender=None, request=request)


def _django_request(request: Any) -> HttpRequest | None:
    # A DRF Request wraps the Django one; signals and logging want Django's.
    return getattr(request, "_request", request)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF ``EXCEPTION_HANDLER``: every exception in a DRF view becomes a problem response."""
    from apipatterns.responses import ProblemResponse

    request = _django_request(context.get("request"))
    problem, headers = problem_for_exception(exc, request)
    set_rollback()
    return ProblemResponse(problem, headers=headers)


def exception_response(exc: BaseException, request: Any = None) -> ProblemJSONResponse:
    """Problem+json ``HttpResponse`` for ``exc`` (middleware, decorators, error handlers)."""
    problem, headers = problem_for_exception(exc, _django_request(request))
    set_rollback()
    return ProblemJSONResponse(problem, headers=headers)


def _find_request(args: tuple[Any, ...]) -> Any:
    for arg in args[:2]:  # (request, ...) for functions, (self, request, ...) for methods
        if hasattr(arg, "META"):
            return arg
    return None


def handle_exceptions(view: F) -> F:
    """Decorate a view (function or method, sync or async) so any exception becomes a problem.

    DRF exceptions, ``Http404``/``ObjectDoesNotExist`` (404), ``PermissionDenied`` (403), Django
    ``ValidationError`` (400 with pointers), ``IntegrityError`` (409 ``conflict``),
    ``shared_core.http`` errors (502/503/504 ``upstream_*``), anything else 500
    ``internal_error`` (logged with the request ID; ``got_request_exception`` still sent).
    """
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return await view(*args, **kwargs)
            except Exception as exc:
                return exception_response(exc, _find_request(args))

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            return exception_response(exc, _find_request(args))

    return wrapper  # type: ignore[return-value]


# --- Django error handlers (``handler400`` ... ``handler500`` in the root URLconf) ----------


def handler400(request: HttpRequest, exception: Exception | None = None) -> ProblemJSONResponse:
    """400 (or 413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``) as problem+json."""
    if isinstance(exception, RequestDataTooBig):
        return ProblemJSONResponse(build_problem(413, "payload_too_large"))
    return ProblemJSONResponse(build_problem(400, "bad_request"))


def handler403(request: HttpRequest, exception: Exception | None = None) -> ProblemJSONResponse:
    """403 ``permission_denied`` as problem+json."""
    return ProblemJSONResponse(build_problem(403, "permission_denied"))


def handler404(request: HttpRequest, exception: Exception | None = None) -> ProblemJSONResponse:
    """404 ``not_found`` as problem+json (unknown URLs, ``Http404`` outside DRF)."""
    return ProblemJSONResponse(build_problem(404, "not_found"))


def handler500(request: HttpRequest) -> ProblemJSONResponse:
    """500 ``internal_error`` as problem+json; Django has already logged the exception."""
    return ProblemJSONResponse(build_problem(500, "internal_error"))
