"""What the API convention costs per request: bare DRF defaults vs the suite's full stack.

Run from the repository root::

    python bench/envelope_bench.py [--requests 2000] [--rounds 5]

One process, one run, DEBUG off, requests served through Django's WSGI handler (no network):

- bare: DRF defaults (JSONRenderer, DRF's exception handler, no throttles, no versioning,
  DRF's PageNumberPagination) behind Django's CommonMiddleware only;
- full: the suite's settings (envelope renderer, problem handler, size/depth-limited parsers,
  URL versioning, anon + user throttles over the cache, PageNumberPagination with clamping) behind
  RequestIDMiddleware + RequestLogMiddleware + ProblemDetailsMiddleware + CommonMiddleware, the
  request log line going to a ``logging.NullHandler``. One more row serves the small view with the
  real logging config (text formatter, request-context and redaction filters) writing to
  /dev/null, to show what formatting the line costs on top.

Requests rotate over 2,000 client addresses so throttle histories stay as short as in
production. Prints CPU µs per request (best round) and throughput ratios, then the cost
of formatting 1, 100 and 10,000 field errors. Asserts nothing: figures only.
"""

from __future__ import annotations

import argparse
import io
import logging
import logging.config
import os
import time

import django
from django.conf import settings

FULL_REST_FRAMEWORK = {
    # Mirrors settings/base.py's REST_FRAMEWORK (the bench cannot import the project settings
    # package: it is not installed, and nothing in the suite edits sys.path).
    "EXCEPTION_HANDLER": "apipatterns.handlers.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["apipatterns.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apipatterns.parsers.JSONParser",
        "apipatterns.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apipatterns.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "apipatterns.throttling.AnonRateThrottle",
        "apipatterns.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "1200/min"},
    "NUM_PROXIES": 0,
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "UNICODE_JSON": True,
    "COMPACT_JSON": True,
}
FULL_MIDDLEWARE = [
    "shared_core.request_id.RequestIDMiddleware",
    "apipatterns.middleware.RequestLogMiddleware",
    "apipatterns.middleware.ProblemDetailsMiddleware",
    "django.middleware.common.CommonMiddleware",
]
BARE_MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    ALLOWED_HOSTS=["localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "apipatterns",
    ],
    MIDDLEWARE=FULL_MIDDLEWARE,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    REST_FRAMEWORK=FULL_REST_FRAMEWORK,
    API_MAX_PAGE_SIZE=100,
    USE_I18N=True,
    USE_TZ=True,
    LOGGING_CONFIG=None,
)
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework import exceptions, pagination, parsers, renderers  # noqa: E402
from rest_framework import views as drf_views  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from apipatterns.handlers import exception_handler  # noqa: E402
from apipatterns.renderers import EnvelopeJSONRenderer  # noqa: E402
from shared_core.logging_config import get_logging_config  # noqa: E402

ROWS = [{"id": i, "name": f"row {i}", "quantity": i % 7} for i in range(200)]


class FullSmall(APIView):
    def get(self, request, version=None):
        return Response({"id": 1, "name": "small", "ok": True})


class FullList(APIView):
    def get(self, request, version=None):
        paginator = pagination_class_full()
        page = paginator.paginate_queryset(ROWS, request, view=self)
        return paginator.get_paginated_response(page)


def pagination_class_full():
    from apipatterns.pagination import PageNumberPagination

    return PageNumberPagination()


class BarePagination(pagination.PageNumberPagination):
    page_size = 20


class BareMixin:
    """DRF's own defaults, whatever the project's REST_FRAMEWORK says."""

    renderer_classes = [renderers.JSONRenderer]
    parser_classes = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]
    throttle_classes: list = []
    versioning_class = None

    def get_exception_handler(self):
        return drf_views.exception_handler


class BareSmall(BareMixin, APIView):
    def get(self, request):
        return Response({"id": 1, "name": "small", "ok": True})


class BareList(BareMixin, APIView):
    def get(self, request):
        paginator = BarePagination()
        page = paginator.paginate_queryset(ROWS, request, view=self)
        return paginator.get_paginated_response(page)


urlpatterns = [
    path("bare/small", BareSmall.as_view()),
    path("bare/list", BareList.as_view()),
    path("api/<str:version>/small", FullSmall.as_view()),
    path("api/<str:version>/list", FullList.as_view()),
]


def environ(path_info: str, query: str, client: int) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": f"10.{client // 65536 % 256}.{client // 256 % 256}.{client % 256}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
    }


def serve(handler: WSGIHandler, path_info: str, query: str, n: int, offset: int) -> float:
    """Serve ``n`` requests; return µs per request."""
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    # CPU time of this process: the machine is shared, and time spent descheduled is not ours.
    start = time.process_time()
    for i in range(n):
        result = handler(environ(path_info, query, (offset + i) % 2000), start_response)
        b"".join(result)
        result.close()
    elapsed = time.process_time() - start
    bad = [s for s in statuses if not s.startswith("200")]
    if bad:
        raise SystemExit(f"{path_info}: unexpected statuses {set(bad)}")
    return elapsed / n * 1e6


def null_logging() -> None:
    """The request log line is built and handed to a handler that drops it."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"null": {"class": "logging.NullHandler"}},
            "root": {"handlers": ["null"], "level": "INFO"},
        }
    )


def real_logging(devnull: io.TextIOBase) -> None:
    """The suite's logging config (formatter, filters), writing to /dev/null."""
    logging.config.dictConfig(get_logging_config("bench", "INFO", "text"))
    for handler in logging.getLogger().handlers:
        handler.setStream(devnull)  # type: ignore[attr-defined]


def measure(bare_case: tuple, full_case: tuple, requests: int, rounds: int) -> tuple[float, float]:
    (bh, bpath, bq), (fh, fpath, fq) = bare_case, full_case
    serve(bh, bpath, bq, 200, 0)  # warm-up: imports, URL resolver, caches
    serve(fh, fpath, fq, 200, 0)
    bare_times, full_times = [], []
    for r in range(rounds):  # interleaved, so machine noise hits both stacks alike
        bare_times.append(serve(bh, bpath, bq, requests, r * requests))
        full_times.append(serve(fh, fpath, fq, requests, r * requests))
    # The fastest round is the one least disturbed by other processes.
    return min(bare_times), min(full_times)


def bench_requests(requests: int, rounds: int) -> None:
    full = WSGIHandler()
    with override_settings(MIDDLEWARE=BARE_MIDDLEWARE):
        bare = WSGIHandler()

    cases = [
        ("small view", (bare, "/bare/small", ""), (full, "/api/v1/small", ""), null_logging),
        (
            "paginated list (20 of 200)",
            (bare, "/bare/list", "page=3"),
            (full, "/api/v1/list", "page=3&per_page=20"),
            null_logging,
        ),
        (
            "small view, log formatted",
            (bare, "/bare/small", ""),
            (full, "/api/v1/small", ""),
            real_logging,
        ),
    ]
    devnull = open(os.devnull, "w")  # noqa: SIM115 - kept open for the whole run
    print(f"Through WSGIHandler, DEBUG off: best of {rounds} rounds x {requests} (CPU time)")
    print(f"{'case':<28} {'bare µs':>9} {'full µs':>9} {'extra µs':>9} {'throughput':>11}")
    for name, bare_case, full_case, configure_logging in cases:
        if configure_logging is real_logging:
            real_logging(devnull)
        else:
            configure_logging()
        b, f = measure(bare_case, full_case, requests, rounds)
        print(f"{name:<28} {b:>9.1f} {f:>9.1f} {f - b:>9.1f} {b / f:>10.2f}x")
    print("(throughput = full stack's requests/s as a fraction of bare DRF's)")


def bench_errors() -> None:
    print()
    print("Formatting a validation error (exception -> rendered body), µs:")
    print(f"{'field errors':>12} {'bare DRF':>10} {'suite':>10} {'suite µs/error':>15}")
    bare_renderer = renderers.JSONRenderer()
    suite_renderer = EnvelopeJSONRenderer()
    for count in (1, 100, 10_000):
        detail = {f"field_{i}": ["This field is required."] for i in range(count)}
        repeat = max(3, 20_000 // count)

        def run_bare(detail=detail):
            exc = exceptions.ValidationError(detail)
            response = drf_views.exception_handler(exc, {})
            return bare_renderer.render(response.data, "application/json", {"response": response})

        def run_suite(detail=detail):
            exc = exceptions.ValidationError(detail)
            response = exception_handler(exc, {})
            return suite_renderer.render(response.data, "application/json", {"response": response})

        timings = []
        for func in (run_bare, run_suite):
            func()
            best = float("inf")
            for _ in range(3):
                start = time.process_time()
                for _ in range(repeat):
                    func()
                best = min(best, (time.process_time() - start) / repeat * 1e6)
            timings.append(best)
        print(f"{count:>12} {timings[0]:>10.1f} {timings[1]:>10.1f} {timings[1] / count:>15.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    bench_requests(args.requests, args.rounds)
    bench_errors()


if __name__ == "__main__":
    main()
