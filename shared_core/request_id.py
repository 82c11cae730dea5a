"""Request IDs: one ID per request, kept in a contextvar, echoed in ``X-Request-ID``.

The ID is taken from the incoming ``X-Request-ID`` header when it is safe (bounded length,
printable ASCII without spaces or control characters) so that one user request keeps one ID
across every service hop; otherwise a fresh UUID4 hex is generated.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
#: The WSGI/ASGI ``META`` key Django uses for the ``X-Request-ID`` header.
REQUEST_ID_META_KEY = "HTTP_X_REQUEST_ID"
MAX_REQUEST_ID_LENGTH = 128

# Letters, digits and a few separators only: the ID is echoed into headers and log lines,
# so anything that could split a header or forge a log line is refused.
_SAFE_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_REQUEST_ID_LENGTH}}}")

_current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "shared_core_request_id", default=None
)


def generate_request_id() -> str:
    """Return a new random request ID: ``uuid.uuid4().hex`` (32 hex characters from the
    operating system's random source, so forked workers and seeded ``random`` never repeat)."""
    return uuid.uuid4().hex


def is_safe_request_id(value: str | None) -> bool:
    """Tell whether an incoming request ID may be reused as it is."""
    return bool(value) and _SAFE_REQUEST_ID.fullmatch(value) is not None


def get_request_id() -> str | None:
    """Return the ID of the request being served, or ``None`` outside a request."""
    return _current_request_id.get()


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    """Set the current request ID; returns a token for :func:`reset_request_id`."""
    return _current_request_id.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    """Restore the request ID that was current before :func:`set_request_id`."""
    _current_request_id.reset(token)


@contextmanager
def request_id_context(value: str | None = None) -> Iterator[str]:
    """Run a block (a management command, a job) under a request ID, new unless given."""
    request_id = value if is_safe_request_id(value) else generate_request_id()
    token = set_request_id(request_id)
    try:
        yield request_id
    finally:
        reset_request_id(token)


class RequestIDMiddleware:
    """Assign every request an ID, expose it as ``request.request_id`` and in the response.

    Put it first in ``MIDDLEWARE`` so that every later middleware, view and log line sees it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get(REQUEST_ID_META_KEY)
        request_id = incoming if is_safe_request_id(incoming) else generate_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
