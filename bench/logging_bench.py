"""What the request log line costs: the suite's real logging config, formatter and filters.

Run from the repository root with the suite installed (``source scripts/venv.sh``)::

    python -m bench.logging_bench [--requests 2000] [--rounds 30]

One process, one run, CPU time (``time.process_time``). A request goes through the suite's two
request middlewares in their ``MIDDLEWARE`` order (``RequestIDMiddleware`` then
``RequestLogMiddleware``) around a view that returns a prepared 200 response, with the logging
configured by ``shared_core.logging_config.get_logging_config`` (the request-context and redaction
filters, the text or JSON formatter) and its handler writing to /dev/null. Rows:

- ``line off``: ``LOG_LEVEL=WARNING``, so the request line is not made (the middlewares' own work);
- ``text line`` / ``JSON line``: ``LOG_LEVEL=INFO``, the line made, filtered, formatted, written.

The cost of one formatted line is the difference between a line row and ``line off``, measured in
alternating rounds (off, JSON, text, off, ...) so that a slow moment on a shared machine hits every
row alike; reported as the median over rounds. Then where a JSON line's time goes, each step on its
own: making the record (``logger.info`` to a handler that drops it), the two filters, formatting.
Asserts nothing: figures only. Issue 17's target is a JSON line of at most 25 µs.
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import logging.config
import os
import statistics
import time
from collections.abc import Callable

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    ALLOWED_HOSTS=["localhost"],
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "shared_core",
        "apipatterns",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    SERVICE_NAME="bench",
    LOGGING_CONFIG=None,
)
django.setup()

from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.core.handlers.wsgi import WSGIRequest  # noqa: E402
from django.http import HttpResponse  # noqa: E402

from apipatterns.middleware import RequestLogMiddleware  # noqa: E402
from shared_core.logging_config import get_logging_config  # noqa: E402
from shared_core.request_id import RequestIDMiddleware  # noqa: E402

BODY = b'{"data":{"id":1,"name":"small","ok":true},"meta":{"request_id":"x"}}'


def make_request() -> WSGIRequest:
    """A request as a DRF view leaves it: unauthenticated, ``request.user`` set."""
    request = WSGIRequest(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/api/v1/tickets",
            "QUERY_STRING": "page=2&session_token=not-logged",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "HTTP_X_REQUEST_ID": "bench-0123456789abcdef",
            "REMOTE_ADDR": "10.1.2.3",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "http",
        }
    )
    request.user = AnonymousUser()
    return request


def configure(devnull: io.TextIOBase, fmt: str, level: str) -> None:
    """The suite's logging config, its one handler writing to /dev/null."""
    logging.config.dictConfig(get_logging_config("bench", level, fmt))
    for handler in logging.getLogger().handlers:
        handler.setStream(devnull)  # type: ignore[attr-defined]


def per_call(func: Callable[[], object], n: int) -> float:
    """CPU µs per call of ``func`` over ``n`` calls."""
    gc.collect()
    start = time.process_time()
    for _ in range(n):
        func()
    return (time.process_time() - start) / n * 1e6


def bench_line(requests: int, rounds: int, devnull: io.TextIOBase) -> dict[str, float]:
    """Median µs per request of each row, over alternating rounds."""
    response = HttpResponse(BODY, content_type="application/json")
    response["Content-Length"] = str(len(BODY))  # as CommonMiddleware sets it
    stack = RequestIDMiddleware(RequestLogMiddleware(lambda request: response))
    request = make_request()

    def serve() -> None:
        stack(request)

    rows = {
        "line off (LOG_LEVEL=WARNING)": ("json", "WARNING"),
        "JSON line": ("json", "INFO"),
        "text line": ("text", "INFO"),
    }
    times: dict[str, list[float]] = {name: [] for name in rows}
    for fmt, level in rows.values():  # warm-up
        configure(devnull, fmt, level)
        per_call(serve, requests // 4 or 1)
    for r in range(rounds):
        order = list(rows.items()) if r % 2 == 0 else list(reversed(rows.items()))
        for name, (fmt, level) in order:
            configure(devnull, fmt, level)
            times[name].append(per_call(serve, requests))
    return {name: statistics.median(values) for name, values in times.items()}


def bench_steps(requests: int, devnull: io.TextIOBase) -> list[tuple[str, float]]:
    """Where a JSON request line's time goes: record, filters, formatting (best of 5 rounds)."""
    configure(devnull, "json", "INFO")
    handler = logging.getLogger().handlers[0]
    formatter = handler.formatter
    assert formatter is not None
    logger = logging.getLogger("apipatterns.requests")
    message = "GET /api/v1/tickets 200 1.23ms user=anonymous bytes=70 remote=10.1.2.3"
    extra = {
        "method": "GET",
        "path": "/api/v1/tickets",
        "status": 200,
        "duration_ms": 1.23,
        "bytes": len(BODY),
        "remote_addr": "10.1.2.3",
        "user_id": "anonymous",
    }
    made: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            made.append(record)

    def record() -> None:
        logger.info(message, extra=extra)

    def rounds(step: Callable[[], object], prepare: Callable[[], None] = lambda: None) -> float:
        best = float("inf")
        for _ in range(5):
            prepare()
            best = min(best, per_call(step, requests))
        return best

    logger.addHandler(Keep())
    logger.propagate = False
    try:
        make = rounds(record, made.clear)
    finally:
        logger.handlers.clear()
        logger.propagate = True
    template = dict(vars(made[0]))
    records: list[logging.LogRecord] = []

    def fresh() -> None:
        records[:] = [logging.makeLogRecord(dict(template)) for _ in range(requests)]

    def apply_filters() -> None:
        item = records.pop()
        for log_filter in handler.filters:
            log_filter.filter(item)  # type: ignore[union-attr]

    filtering = rounds(apply_filters, fresh)
    fresh()
    for item in records:
        for log_filter in handler.filters:
            log_filter.filter(item)  # type: ignore[union-attr]
    filtered = list(records)
    position = iter(range(10**9))

    def format_json() -> None:
        formatter.format(filtered[next(position) % requests])

    formatting = rounds(format_json)
    return [
        ("make the record (logger.info)", make),
        ("request-context + redaction filters", filtering),
        ("JSON formatter", formatting),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=30, help="rounds per row")
    args = parser.parse_args()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - kept open for the whole run
    gc.collect()
    gc.freeze()
    medians = bench_line(args.requests, args.rounds, devnull)
    off = medians["line off (LOG_LEVEL=WARNING)"]
    print(
        f"RequestIDMiddleware + RequestLogMiddleware around a prepared response, CPU time, "
        f"median of {args.rounds} alternating rounds x {args.requests} requests; "
        "the suite's logging config writing to /dev/null"
    )
    print(f"{'row':<30} {'µs/request':>10} {'line µs':>8}")
    for name, value in medians.items():
        line = "" if name.startswith("line off") else f"{value - off:>8.1f}"
        print(f"{name:<30} {value:>10.1f} {line}")
    print()
    print("One JSON request line, step by step (best of 5 rounds), µs:")
    for name, value in bench_steps(args.requests, devnull):
        print(f"{name:<38} {value:>6.1f}")
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})


if __name__ == "__main__":
    main()
