"""gunicorn configuration of the container image: ``gunicorn --config deploy/gunicorn.conf.py``.

Everything comes from the environment (defaults in brackets): ``WSGI_APP`` picks the application
[``settings.wsgi:application``], ``HOST``/``PORT`` the address [``0.0.0.0:8000``],
``WEB_CONCURRENCY`` the worker processes [2], ``GUNICORN_THREADS`` the threads per worker [4],
``GUNICORN_TIMEOUT`` the seconds a request may take before its worker is replaced [30].
gunicorn's own lines go through the application's ``LOGGING`` (``shared_core.logging_config``):
same format, service name, request ID and redaction as the application's own lines, on stderr.
gunicorn's access log is off: the application's request log
(``apipatterns.middleware.RequestLogMiddleware``) is the one line per request, with the method,
path (no query string), status, duration, bytes, client address, user and request ID.
"""

from __future__ import annotations

import copy
import os

from gunicorn.glogging import Logger

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

# No runtime control socket: nothing in the image uses gunicornc, and the user has no home.
control_socket_disable = True


class ErrorLogOnly(Logger):
    """gunicorn's logger without its access log: the application logs one line per request.

    gunicorn writes access lines whenever a logging config is given (``logconfig_dict`` below);
    this logger class (gunicorn's ``logger_class`` setting) turns them off, before gunicorn even
    gathers a line's fields. Its error log is unchanged.
    """

    @property
    def access_log_enabled(self) -> bool:
        return False

    def access(self, resp: object, req: object, environ: object, request_time: object) -> None:
        return None


logger_class = ErrorLogOnly


def _logconfig() -> dict:
    """The application's ``LOGGING``, with gunicorn's error log sent through its one handler.

    With ``DJANGO_SETTINGS_MODULE`` set (the image sets it) this is exactly the dict the workers
    configure, so the master's lines look like the application's; without it, the suite's
    config from the environment (``SERVICE_NAME``, ``LOG_LEVEL``, ``LOG_FORMAT``).
    """
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        from django.conf import settings

        config = copy.deepcopy(settings.LOGGING)
    else:
        config = get_logging_config()
    level = config["root"]["level"]
    config["loggers"].update(
        {
            # handlers=[] drops the stream handlers gunicorn attached before applying this.
            "gunicorn.error": {"handlers": [], "level": level, "propagate": True},
            # Nothing reaches it (ErrorLogOnly); should a line get there, it is not written.
            "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        }
    )
    return config


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
