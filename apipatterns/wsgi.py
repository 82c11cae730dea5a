"""Request bodies sent with ``Transfer-Encoding: chunked`` reach the views whole, or are refused.

Django reads exactly ``CONTENT_LENGTH`` bytes of a request body, and a chunked request has no
``Content-Length``: gunicorn passes the de-chunked body on, Django reads zero bytes of it, and the
view sees an empty body ("this field is required"). :class:`ChunkedBodyMiddleware` wraps a WSGI
application and, for such a request, reads the body first, within a size limit, then hands it on
with its length set, so everything after it (DRF's parsers, ``request.body``, uploads, Django's
own size checks) works as for any other body:

- up to ``API_MAX_CHUNKED_BODY_SIZE`` bytes (default: ``DATA_UPLOAD_MAX_MEMORY_SIZE``; a service
  that takes uploads sets its upload limit), spooled to a temporary file past
  ``FILE_UPLOAD_MAX_MEMORY_SIZE``;
- a longer body is a 413 ``payload_too_large`` problem, answered before the rest is read, with
  ``Connection: close``;
- when the server cannot say where the body ends (it does not set ``wsgi.input_terminated``, as
  gunicorn does), a 411 ``length_required`` problem: never an empty body.

``apipatterns.middleware.ProblemDetailsMiddleware`` answers the same 411 to a chunked request
that reaches Django without this wrapper. Use it in ``wsgi.py``::

    from django.core.wsgi import get_wsgi_application
    from apipatterns.wsgi import ChunkedBodyMiddleware

    application = ChunkedBodyMiddleware(get_wsgi_application())
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from django.conf import settings

from apipatterns.conf import apipatterns_settings
from apipatterns.problems import PROBLEM_CONTENT_TYPE, build_problem, render_problem
from shared_core.request_id import REQUEST_ID_HEADER, REQUEST_ID_META_KEY, request_id_context

logger = logging.getLogger("apipatterns.requests")

#: Bytes read from the server's input per call while spooling a chunked body.
READ_SIZE = 64 * 1024

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def is_chunked(environ: dict[str, Any]) -> bool:
    """A request whose body is chunked and whose length the server did not give."""
    encoding = environ.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in encoding.lower() and not environ.get("CONTENT_LENGTH")


def max_chunked_body_size() -> int | None:
    """``API_MAX_CHUNKED_BODY_SIZE``, else ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``None``: no limit)."""
    limit = apipatterns_settings.API_MAX_CHUNKED_BODY_SIZE
    return limit if limit is not None else settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def problem_answer(
    environ: dict[str, Any], start_response: StartResponse, status: int
) -> list[bytes]:
    """Answer a problem from the WSGI layer (Django has not seen the request), closing the
    connection so the server does not read the rest of the body."""
    with request_id_context(environ.get(REQUEST_ID_META_KEY)) as request_id:
        body = render_problem(build_problem(status))
        logger.warning(
            "%s %s %s (chunked request body)",
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            status,
            extra={"status": status},
        )
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [
            ("Content-Type", PROBLEM_CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            (REQUEST_ID_HEADER, request_id),
            ("Connection", "close"),
        ],
    )
    return [body]


class ChunkedBodyMiddleware:
    """WSGI middleware: read a chunked request body (within the limit) and give it a length."""

    def __init__(self, application: WSGIApp) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not is_chunked(environ):
            return self.application(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return problem_answer(environ, start_response, 411)
        limit = max_chunked_body_size()
        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed with the response
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        )
        stream, size = environ["wsgi.input"], 0
        while chunk := stream.read(READ_SIZE):
            size += len(chunk)
            if limit is not None and size > limit:
                spool.close()
                return problem_answer(environ, start_response, 413)
            spool.write(chunk)
        spool.seek(0)
        environ["wsgi.input"] = spool
        environ["CONTENT_LENGTH"] = str(size)
        # The body is now an ordinary one with a length: nothing after this reads chunks.
        del environ["HTTP_TRANSFER_ENCODING"]
        response = self.application(environ, start_response)
        return _ClosingIterable(response, spool)


class _ClosingIterable:
    """The application's response, closing the spooled body when the server closes it."""

    def __init__(self, response: Iterable[bytes], spool: Any) -> None:
        self.response = response
        self.spool = spool

    def __iter__(self) -> Any:
        return iter(self.response)

    def close(self) -> None:
        try:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
        finally:
            self.spool.close()
