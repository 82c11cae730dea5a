"""gunicorn configuration of the container image: ``gunicorn --config deploy/gunicorn.conf.py``.

Everything comes from the environment (defaults in brackets): ``WSGI_APP`` picks the application
[``settings.wsgi:application``], ``HOST``/``PORT`` the address [``0.0.0.0:8000``],
``WEB_CONCURRENCY`` the worker processes [2], ``GUNICORN_THREADS`` the threads per worker [4],
``GUNICORN_TIMEOUT`` the seconds a request may take before its worker is replaced [30].
gunicorn's own lines and its access log go through the application's ``LOGGING``
(``shared_core.logging_config``): same format, service name, request ID and redaction as the
application's own lines, on stderr.
"""

from __future__ import annotations

import copy
import logging
import os

from shared_core.logging_config import get_logging_config


def _env_int(name: str, default: int) -> int:
    """Read a positive integer from the environment, failing loudly on nonsense."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, not {value}")
    return value


wsgi_app = os.environ.get("WSGI_APP", "settings.wsgi:application")
# A container listens on all its interfaces; HOST narrows it (the tests bind to loopback).
_host = os.environ.get("HOST", "0.0.0.0")  # noqa: S104
bind = [f"{_host}:{_env_int('PORT', 8000)}"]
workers = _env_int("WEB_CONCURRENCY", 2)
# Threads let one worker keep serving while a request waits on another service (HTTPClient).
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = timeout
keepalive = 5
# Heartbeat files on tmpfs: a container's overlay /tmp can stall workers under I/O pressure.
_SHM = "/dev/shm"  # noqa: S108 - gunicorn's documented choice for worker_tmp_dir
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None

# The access log: client, request line, status, bytes, duration and user agent; the request ID
# goes in the record's own field (AccessRequestIDFilter below). The request line is method, path
# and protocol without the query string (%(U)s, not %(r)s): query strings carry tokens, emails
# and reset keys, and the redaction filter only knows the names it looks for.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
# No runtime control socket: nothing in the image uses gunicornc, and the user has no home.
control_socket_disable = True


class AccessRequestIDFilter(logging.Filter):
    """Give access-log records the request's ID, so the ``request_id`` field is not ``-``.

    The access line is written after the request has finished, when the request-ID contextvar
    is already reset; the ID is taken from the response header among gunicorn's log atoms.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if isinstance(atoms, dict) or hasattr(atoms, "__getitem__"):
            try:
                request_id = atoms["{x-request-id}o"]  # type: ignore[index]
            except (KeyError, TypeError, IndexError):
                request_id = None
            if request_id and request_id != "-":
                record.request_id = request_id
        return True


def _logconfig() -> dict:
    """The application's ``LOGGING``, with gunicorn's loggers sent through its one handler.

    With ``DJANGO_SETTINGS_MODULE`` set (the image sets it) this is exactly the dict the workers
    configure, so the master's lines and the access log look like the application's; without
    it, the suite's config from the environment (``SERVICE_NAME``, ``LOG_LEVEL``, ``LOG_FORMAT``).
    """
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        from django.conf import settings

        config = copy.deepcopy(settings.LOGGING)
    else:
        config = get_logging_config()
    config.setdefault("filters", {})
    level = config["root"]["level"]
    config["filters"]["access_request_id"] = {"()": AccessRequestIDFilter}
    config["loggers"].update(
        {
            # handlers=[] drops the stream handlers gunicorn attached before applying this.
            "gunicorn.error": {"handlers": [], "level": level, "propagate": True},
            "gunicorn.access": {
                "handlers": [],
                "level": "INFO",
                "propagate": True,
                "filters": ["access_request_id"],
            },
        }
    )
    return config


# Setting logconfig_dict also turns the access log on (through the "gunicorn.access" logger).
accesslog = None
logconfig_dict = _logconfig()


# --- gunicorn's own error answers as problem+json ----------------------------------------------
# A request gunicorn refuses before Django sees it (request line over ``limit_request_line``,
# headers over ``limit_request_field_size``/``limit_request_fields``, malformed HTTP) gets
# gunicorn's HTML page from ``gunicorn.util.write_error``. The limits stay (they bound what one
# request can make a worker buffer); the answer becomes the suite's RFC 9457 body, with the
# codes apipatterns documents in every schema. gunicorn has no hook for this answer, so the
# function is replaced here, in the master, before the workers are forked.
_GUNICORN_PROBLEMS = {
    400: ("bad_request", "The request could not be parsed as HTTP."),
    414: ("uri_too_long", "The request line (method, path and query string) is too long."),
    431: ("request_header_fields_too_large", "The request headers are too large."),
}


def _write_problem(sock: object, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error``: the same status, a problem+json body.

    It runs in a worker, after the worker loaded the application (and with it the Django
    settings ``build_problem`` reads), so apipatterns is imported here, not when the master
    reads this file.
    """
    from gunicorn import util

    from apipatterns.problems import PROBLEM_CONTENT_TYPE, build_problem, render_problem

    code, detail = _GUNICORN_PROBLEMS.get(
        status_int, ("internal_error" if status_int >= 500 else "bad_request", reason)
    )
    # Never gunicorn's message as the detail: it echoes parser internals. The request never
    # reached the request-ID middleware, so its request_id is null.
    body = render_problem(build_problem(status_int, code, detail))
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {PROBLEM_CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin1") + body)


def _install_problem_errors() -> None:
    from gunicorn import util

    util.write_error = _write_problem


_install_problem_errors()
