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
    Problem,
    ProblemJSONResponse,
    django_validation_items,
    flatten_errors,
    mapper_for,
    register,
    status_title,
)
from shared_core import http as clients
from shared_core.retry_after import parse_retry_after

logger = logging.getLogger("apipatterns")
# Unexpected errors go where Django logs its own 500s (mail_admins and friends keep working).
request_logger = logging.getLogger("django.request")

F = TypeVar("F", bound=Callable[..., Any])

VALIDATION_DETAIL = _("The request contains invalid data.")
PARSE_DETAIL = _("The request body could not be parsed.")


#: Seconds a client should wait after a 503 ``service_unavailable`` (database unreachable).
DATABASE_RETRY_AFTER = 2
DATABASE_DETAIL = _("The service cannot reach its database right now. Try again shortly.")


def problem_for_exception(
    exc: BaseException, request: HttpRequest | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Map an exception to ``(problem dict, extra response headers)`` through the registry.

    An exception no registered type covers becomes a 500 ``internal_error``, is logged with the
    request ID (and traceback) on ``django.request``, and ``got_request_exception`` is sent as
    Django would.
    """
    problem = to_problem(exc, request)
    return problem.as_dict(), problem.response_headers()


def to_problem(exc: BaseException, request: HttpRequest | None = None) -> Problem:
    """The registered mapper's :class:`~apipatterns.problems.Problem` for ``exc``."""
    mapper = mapper_for(type(exc))
    if mapper is None:
        _report(exc, request, 500)
        return Problem(500, "internal_error")
    problem = mapper(exc, request)
    if problem.status == 429 and problem.retry_after is None:
        # Any 429 (an APIError subclass, a rate limit from another library) says when to retry.
        given = parse_retry_after(problem.headers.get("Retry-After"))
        problem.retry_after = given if given else getattr(exc, "wait", None)
    return problem


# --- apipatterns' own registrations: DRF, Django, the database, shared_core's HTTP client ----


@register(APIError)
def _api_error(exc: APIError, request: HttpRequest | None) -> Problem:
    return Problem(exc.status_code, exc.code, exc.detail, exc.errors, dict(exc.headers))


@register(drf.ValidationError)
def _drf_validation(exc: drf.ValidationError, request: HttpRequest | None) -> Problem:
    return Problem(400, "validation_error", VALIDATION_DETAIL, flatten_errors(exc.detail))


@register(drf.ParseError)
def _parse_error(exc: drf.ParseError, request: HttpRequest | None) -> Problem:
    # DRF's message quotes the parser ("JSON parse error - Expecting value: line 1 ..."):
    # clients get a generic detail only.
    return Problem(400, "parse_error", PARSE_DETAIL)


@register(drf.Throttled)
def _throttled(exc: drf.Throttled, request: HttpRequest | None) -> Problem:
    return Problem(429, "throttled", exc.detail, retry_after=exc.wait)


@register(drf.APIException)
def _api_exception(exc: drf.APIException, request: HttpRequest | None) -> Problem:
    """A DRF ``APIException`` (not one of the kinds above): its status, a documented code.

    DRF's base class has the code ``"error"``, which names nothing: an exception that brings no
    code of its own gets the status's code (``internal_error`` for a bare ``APIException()``).
    DRF details that quote the request (``Unsupported media type "…"``, ``Method "…" not
    allowed``) are replaced by the status's generic detail.
    """
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    status = exc.status_code
    if status >= 500:
        _report(exc, request, status)
    if isinstance(exc.detail, list | dict):
        errors = flatten_errors(exc.detail)
        for item in errors:  # items inherit the exception's code: DRF's placeholder says nothing
            item["code"] = _own_code(item["code"]) or "invalid"
        code = _own_code(exc.default_code) or ("validation_error" if status == 400 else None)
        return Problem(status, code, None, errors, headers)
    detail = None if isinstance(exc, _ECHOING_EXCEPTIONS) else exc.detail
    return Problem(status, _own_code(exc.get_codes()), detail, None, headers)


#: DRF exceptions whose default detail quotes what the client sent.
_ECHOING_EXCEPTIONS = (drf.UnsupportedMediaType, drf.MethodNotAllowed)


def _own_code(code: Any) -> str | None:
    """``code`` unless it is DRF's placeholder ``"error"`` (or not a string): ``None`` then."""
    if not isinstance(code, str) or code == drf.APIException.default_code:
        return None
    return code


@register(Http404)
@register(ObjectDoesNotExist)
def _not_found(exc: Exception, request: HttpRequest | None) -> Problem:
    # Their messages name models ("No Ticket matches the given query."): keep them out.
    return Problem(404, "not_found")


@register(PermissionDenied)
def _permission_denied(exc: PermissionDenied, request: HttpRequest | None) -> Problem:
    return Problem(403, "permission_denied")


@register(DjangoValidationError)
def _django_validation(exc: DjangoValidationError, request: HttpRequest | None) -> Problem:
    return Problem(400, "validation_error", VALIDATION_DETAIL, django_validation_items(exc))


@register(RequestDataTooBig)
def _too_big(exc: RequestDataTooBig, request: HttpRequest | None) -> Problem:
    return Problem(413, "payload_too_large")


@register(SuspiciousOperation)
def _suspicious(exc: SuspiciousOperation, request: HttpRequest | None) -> Problem:
    return Problem(400, "bad_request")


@register(IntegrityError)
def _integrity(exc: IntegrityError, request: HttpRequest | None) -> Problem:
    logger.warning("Integrity error answered with 409 conflict: %s", type(exc).__name__)
    return Problem(409, "conflict")


@register(OperationalError)
@register(InterfaceError)
def _database_unavailable(exc: Exception, request: HttpRequest | None) -> Problem:
    # The database refused or dropped the connection (restart, failover, too many
    # connections): a 503 the client may retry, not a 500. Logged with the traceback, since
    # SQLite also reports programming errors ("no such table") this way.
    logger.error("Database unavailable, answered 503", exc_info=exc)
    return Problem(503, "service_unavailable", DATABASE_DETAIL, retry_after=DATABASE_RETRY_AFTER)


# shared_core imports no sibling app, so its HTTP client's errors are registered here, where
# the envelope's upstream_* codes live: 504 timeout, 503 unavailable, 502 anything else.
@register(clients.ServiceError)
def _upstream_error(exc: clients.ServiceError, request: HttpRequest | None) -> Problem:
    _log_upstream(exc)
    return Problem(502, "upstream_error")


@register(clients.ServiceTimeoutError)
def _upstream_timeout(exc: clients.ServiceTimeoutError, request: HttpRequest | None) -> Problem:
    _log_upstream(exc)
    return Problem(504, "upstream_timeout")


@register(clients.ServiceUnavailableError)
@register(clients.ServiceConnectionError)
@register(clients.CircuitOpenError)
def _upstream_unavailable(exc: clients.ServiceError, request: HttpRequest | None) -> Problem:
    _log_upstream(exc)
    return Problem(503, "upstream_unavailable", retry_after=getattr(exc, "retry_after", None))


def _log_upstream(exc: clients.ServiceError) -> None:
    logger.warning("Upstream call failed: %s %s (%s)", exc.method, exc.url, type(exc).__name__)


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

    problem = to_problem(exc, _django_request(context.get("request")))
    set_rollback()
    return ProblemResponse(problem)


def exception_response(exc: BaseException, request: Any = None) -> ProblemJSONResponse:
    """Problem+json ``HttpResponse`` for ``exc`` (middleware, decorators, error handlers)."""
    problem = to_problem(exc, _django_request(request))
    set_rollback()
    return ProblemJSONResponse(problem)


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
        return ProblemJSONResponse(Problem(413, "payload_too_large"))
    return ProblemJSONResponse(Problem(400, "bad_request"))


def handler403(request: HttpRequest, exception: Exception | None = None) -> ProblemJSONResponse:
    """403 ``permission_denied`` as problem+json."""
    return ProblemJSONResponse(Problem(403, "permission_denied"))


def handler404(request: HttpRequest, exception: Exception | None = None) -> ProblemJSONResponse:
    """404 ``not_found`` as problem+json (unknown URLs, ``Http404`` outside DRF)."""
    return ProblemJSONResponse(Problem(404, "not_found"))


def handler500(request: HttpRequest) -> ProblemJSONResponse:
    """500 ``internal_error`` as problem+json; Django has already logged the exception."""
    return ProblemJSONResponse(Problem(500, "internal_error"))
