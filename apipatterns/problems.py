"""RFC 9457 problem details: the one error body every path of every service returns.

``{"type", "title", "status", "detail", "code", "request_id", "errors": [...]}`` served as
``application/problem+json``. ``code`` is a stable machine-readable string that never changes with
the language; ``errors`` items are ``{"code", "detail", "pointer"}`` (an RFC 6901 JSON Pointer into
the request body, as a URI fragment: ``#/items/1/email``) or ``{"code", "detail", "parameter"}``
(a query parameter).

One builder: :func:`build_problem` makes every body (the DRF exception handler, the middleware,
``handler400``...``handler500``, the WSGI layer and the gunicorn hook all call it). An exception
becomes a :class:`Problem` through the registry: :func:`register` maps an exception type to a
function returning its problem; the most specific registered type in the exception's MRO wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib import import_module
from typing import Any, TypeVar
from urllib.parse import quote

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from apipatterns.conf import apipatterns_settings
from shared_core.request_id import get_request_id
from shared_core.retry_after import retry_after_seconds

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Keys under which DRF and Django put errors that belong to the object itself, not to a field.
NON_FIELD_KEYS = frozenset({"non_field_errors", "__all__"})

#: Default ``code`` for each status when nothing more specific is known.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    411: "length_required",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
    429: "throttled",
    500: "internal_error",
    502: "upstream_error",
    503: "upstream_unavailable",
    504: "upstream_timeout",
}

#: Generic, translatable ``detail`` for each status: never the exception's own text.
STATUS_DETAILS: dict[int, Any] = {
    400: _("The request is invalid."),
    401: _("Authentication credentials were not provided."),
    403: _("You do not have permission to perform this action."),
    404: _("The requested resource was not found."),
    405: _("The method is not allowed for this resource."),
    406: _("The requested response format is not available."),
    409: _("The request conflicts with the current state of the resource."),
    411: _("A request body needs a length: send it with a Content-Length header."),
    413: _("The request body is too large."),
    415: _("The request body's media type is not supported."),
    429: _("Too many requests."),
    500: _("An unexpected error occurred on the server."),
    502: _("An upstream service returned an invalid response."),
    503: _("An upstream service is unavailable."),
    504: _("An upstream service did not answer in time."),
}


def status_code(status: int) -> str:
    """The ``code`` of a problem that brings none: :data:`STATUS_CODES`, else the status phrase in
    snake case (418 ``im_a_teapot``), else ``bad_request`` / ``internal_error`` by class."""
    code = STATUS_CODES.get(status)
    if code:
        return code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "internal_error" if status >= 500 else "bad_request"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower().replace("'", "")).strip("_")


def status_title(status: int) -> str:
    """The RFC 9457 ``title``: the status phrase (``about:blank`` semantics)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_type(code: str) -> str:
    """The ``type`` URI: ``about:blank`` unless ``API_PROBLEM_TYPE_BASE`` names a docs base URI."""
    base = apipatterns_settings.API_PROBLEM_TYPE_BASE
    return f"{base}{code}" if base else "about:blank"


# Characters a URI fragment may hold as they are: quote() leaves a token made only of these alone.
_FRAGMENT_SAFE = "!$&'()*+,;=:@-._~"
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9!$&'()*+,;=:@\-._~]*")


def _fragment_token(token: str) -> str:
    # Most tokens are plain field names or indexes: skip quote() (the costly part per error).
    return token if _PLAIN_TOKEN.fullmatch(token) else quote(token, safe=_FRAGMENT_SAFE)


def json_pointer(path: Iterable[str | int]) -> str:
    """Return the RFC 6901 JSON Pointer for ``path`` as a URI fragment (``#/items/1/email``).

    ``~`` and ``/`` inside a key are escaped as ``~0`` and ``~1`` (RFC 6901 §3), then the token is
    percent-encoded where a URI fragment needs it (RFC 6901 §6), e.g. a space becomes ``%20``.
    """
    tokens = (str(token).replace("~", "~0").replace("/", "~1") for token in path)
    return "#" + "".join("/" + _fragment_token(token) for token in tokens)


def _item(code: Any, detail: Any, where: str, location: str) -> dict[str, str]:
    return {"code": str(code or "invalid"), "detail": str(detail), where: location}


def flatten_errors(
    detail: Any, path: tuple[str | int, ...] = (), *, parameters: bool = False
) -> list[dict[str, str]]:
    """Flatten DRF's nested error detail (dicts, lists, ``ErrorDetail``) into envelope items.

    Each message becomes ``{"code", "detail", "pointer"}``; with ``parameters=True`` the first
    path element names a query parameter instead (``{"code", "detail", "parameter"}``).
    Non-field errors point at the object that holds them (``#`` for the whole body).
    Linear in the number of messages.
    """
    items: list[dict[str, str]] = []
    _flatten(detail, path, items, parameters)
    return items


def _flatten(detail: Any, path: tuple, items: list, parameters: bool) -> None:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            child = path if key in NON_FIELD_KEYS else (*path, key)
            _flatten(value, child, items, parameters)
    elif isinstance(detail, list | tuple):
        for index, value in enumerate(detail):
            if isinstance(value, Mapping | list | tuple):
                # A list of nested errors (ListSerializer): one entry per item, {} when valid.
                _flatten(value, (*path, index), items, parameters)
            else:
                _flatten(value, path, items, parameters)
    else:
        code = getattr(detail, "code", None)
        if parameters and path:
            items.append(_item(code, detail, "parameter", ".".join(map(str, path))))
        else:
            items.append(_item(code, detail, "pointer", json_pointer(path)))


def django_validation_items(exc: Any) -> list[dict[str, str]]:
    """Envelope items for a Django ``ValidationError`` (e.g. from ``model.full_clean()``)."""
    items: list[dict[str, str]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            path = () if field in NON_FIELD_KEYS else (field,)
            for error in errors:
                items.append(_item(error.code, _message(error), "pointer", json_pointer(path)))
    else:
        for error in exc.error_list:
            items.append(_item(error.code, _message(error), "pointer", json_pointer(())))
    return items


def _message(error: Any) -> str:
    message = error.message
    if error.params:
        with suppress(TypeError, KeyError, ValueError):
            message = message % error.params
    return str(message)


def build_problem(
    status: int,
    code: str | None = None,
    detail: Any = None,
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return the problem details dict (messages forced to ``str``; ``request_id`` filled in)."""
    code = code or status_code(status)
    if detail is None:
        detail = STATUS_DETAILS.get(status) or status_title(status)
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": status_title(status),
        "status": status,
        "detail": str(detail),
        "code": code,
        "request_id": get_request_id(),
        "errors": errors or [],
    }
    body.update(extra)
    return body


_encoder = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ascii_encoder = DjangoJSONEncoder(ensure_ascii=True, separators=(",", ":"))


def render_problem(problem: Mapping[str, Any]) -> bytes:
    """Encode a problem dict as compact UTF-8 JSON (``\\u`` escapes if it holds a lone
    surrogate, which UTF-8 cannot carry)."""
    text = _encoder.encode(problem)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _ascii_encoder.encode(problem).encode()


@dataclass
class Problem:
    """A problem before it is rendered: the body's members plus the response headers.

    ``retry_after`` (seconds, any number) becomes a whole-second ``Retry-After`` header, and for
    a 429 also the body's ``retry_after`` member; a 429 always carries both (1 when unknown).
    """

    status: int
    code: str | None = None
    detail: Any = None
    errors: list[dict[str, Any]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    #: More members for the body (RFC 9457 extension members, e.g. allauth's ``flows``).
    extra: dict[str, Any] = field(default_factory=dict)

    def response_headers(self) -> dict[str, str]:
        """``headers`` plus ``Retry-After`` when the problem says when to retry."""
        if self.retry_after is None and self.status != 429:
            return self.headers
        return {**self.headers, "Retry-After": str(retry_after_seconds(self.retry_after))}

    def as_dict(self) -> dict[str, Any]:
        """The RFC 9457 body (:func:`build_problem`)."""
        extra = self.extra
        if self.status == 429:
            extra = {**extra, "retry_after": retry_after_seconds(self.retry_after)}
        return build_problem(self.status, self.code, self.detail, self.errors, **extra)


class ProblemJSONResponse(HttpResponse):
    """A plain Django ``HttpResponse`` carrying a problem (for middleware and error handlers)."""

    is_problem = True

    def __init__(self, problem: Problem):
        body = problem.as_dict()
        super().__init__(
            render_problem(body),
            status=problem.status,
            content_type=PROBLEM_CONTENT_TYPE,
            headers=problem.response_headers(),
        )
        self.problem = body


# --- the registry: exception type -> problem ------------------------------------------------

E = TypeVar("E", bound=BaseException)
#: ``mapper(exc, request) -> Problem``; ``request`` is Django's ``HttpRequest`` or ``None``.
ProblemMapper = Callable[[Any, Any], Problem]

_registry: dict[type[BaseException], ProblemMapper] = {}


def register(
    exc_type: type[E], mapper: ProblemMapper | None = None
) -> Callable[[ProblemMapper], ProblemMapper] | ProblemMapper:
    """Map ``exc_type`` and its subclasses to ``mapper(exc, request) -> Problem``.

    Use it as ``register(MyError, to_problem)`` or as a decorator ``@register(MyError)``, from an
    ``AppConfig.ready()``. The exception's most specific registered class (first in its MRO)
    wins; registering a type again replaces its mapper, also one of apipatterns' own (which are
    in place before any other registration). An ``APIError`` subclass needs no registration.
    """
    # apipatterns' own mappers first, so a later registration of the same type replaces them.
    import_module("apipatterns.handlers")

    def decorator(function: ProblemMapper) -> ProblemMapper:
        _registry[exc_type] = function
        return function

    return decorator(mapper) if mapper is not None else decorator


def mapper_for(exc_type: type[BaseException]) -> ProblemMapper | None:
    """The mapper of the first class in ``exc_type``'s MRO that has one, else ``None``."""
    for cls in exc_type.__mro__:
        mapper = _registry.get(cls)
        if mapper is not None:
            return mapper
    return None
