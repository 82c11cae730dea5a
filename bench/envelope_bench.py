"""What the API convention costs per request: bare DRF defaults vs the suite's full stack.

Run from the repository root with the suite installed (``source scripts/venv.sh``), as a module so
that the project's ``settings`` package is importable::

    python -m bench.envelope_bench [--requests 20] [--rounds 200] [--only "small view" ...]

(``--only ROW``, repeatable: just those rows, measured the same way, for quick A/B runs.)

One process, one run, DEBUG off, requests served through Django's WSGI handler (no network).
Both stacks serve the same view code (one mixin) at the same route, ``api/<str:version>/small``
and ``api/<str:version>/list?page=3&per_page=20``, each from its own URLconf holding only that
route (set per request by the handler, identically on both sides), so URL resolution costs the
same:

- bare: DRF's own defaults, taken from DRF's ``DEFAULTS`` whatever the project says (JSON and
  browsable renderers, DRF's exception handler, session + basic authentication, no throttles, no
  versioning; DRF's ``PageNumberPagination`` with ``PAGE_SIZE``) behind Django's
  ``CommonMiddleware`` only;
- full: the project's ``settings.base``: its ``REST_FRAMEWORK`` (envelope renderer, problem
  handler, size/depth-limited parsers, URL versioning, the default ``AnonOrUserRateThrottle``, the
  suite's ``PageNumberPagination``), its ``API_*`` settings and the suite's middleware entries of
  its ``MIDDLEWARE`` (request ID, request log, problem details), then ``CommonMiddleware``. The
  request log line goes to a ``logging.NullHandler`` (the record is built and handed over); one
  more row serves the small view with the real logging config (JSON formatter, request-context and
  redaction filters; the peer's structlog JSON renderer) writing to /dev/null, to show what
  formatting the line costs on top;

The "project" rows put what ``django-admin startproject`` puts in ``MIDDLEWARE`` (security,
sessions, common, CSRF, authentication, messages, clickjacking) on both sides instead of
``CommonMiddleware`` alone: the suite's cost on top of what a Django project already runs.

- peer: the stack a Django team would assemble from the field's libraries for the same
  features, with the same view code and route: DRF with drf-standardized-errors' exception
  handler, DRF's ``AnonRateThrottle`` + ``UserRateThrottle`` at the suite's rates, URL versioning,
  DRF's ``PageNumberPagination`` (``per_page`` as its size parameter), django-guid's middleware
  for ``X-Request-ID`` and django-structlog's request middleware (its ``request_started`` and
  ``request_finished`` lines). Installed by the ``bench`` extra (``pip install -e ".[bench]"``);
  without it the peer columns say so and the rest runs.

Every row shows the suite's throughput as a fraction of bare DRF's (suite/bare) and of the peer
stack's (suite/peer).

The throttles count in the project's default cache as ``CACHE_URL`` would configure it: local
memory, then again with Redis for the small view and the paginated list (``--redis URL``, default
``redis://127.0.0.1:6379/0``; its keys get a prefix of their own and expire with their window, the
database is never flushed; ``--redis ''`` or an unreachable server skips those rows with a
message). A local-memory cache gets ``MAX_ENTRIES`` large enough that no counter is culled (Redis
culls nothing; a culled counter would restart its window). Requests rotate over just enough client
addresses that each stays under half its anonymous rate, so most requests find their window's
counter, as a client that calls a service several times a minute does; the rest open a window.

Fairness: CPU time of this process (``time.process_time``: the machine is shared, time spent
descheduled is not ours) over many short rounds, in sets: each round serves ``--requests``
requests with one stack, the rounds of a set (bare, suite, peer) back to back, the order reversed
every other set so drifts hit all alike; each stack is warmed up first (imports, URL resolver,
translations, caches). Then ``gc.freeze()`` moves the import-time heap out of the collector's way
(a full collection would otherwise scan all of Django on whichever side happened to trigger it)
and ``gc.collect()`` runs before every round, so neither side pays for the other's garbage;
collection stays on, since allocating more is a real cost. Reported: the median µs per request of
each stack over its rounds, the extra µs of the suite over bare DRF, and the throughput ratios as
the median over sets of bare/suite and peer/suite (with the middle half of the sets' suite/bare
ratios): a set's rounds run within milliseconds of each other, so a slow minute on a shared
machine moves all of them. Then the cost of
formatting 1, 100 and 10,000 field errors (exception -> rendered body). Asserts nothing: figures
only. The ``LOG_LEVEL=WARNING`` row is the stack's cost when the request line is filtered out.

Both sides get the same URLconf shape, DRF's default renderer pair, the same query strings,
a warm start, a prebuilt WSGI environ and a client set the cache never culls, so neither side
pays for a difference of set-up.

Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import gc
import importlib
import importlib.util
import io
import logging
import logging.config
import math
import os
import socket
import statistics
import time
import uuid
from urllib.parse import urlparse

import django
from django.conf import settings

import settings.base as project

# The suite's own middleware, in the project's order (Django's own is left out on both sides).
SUITE_MIDDLEWARE = [
    name for name in project.MIDDLEWARE if name.startswith(("shared_core.", "apipatterns."))
]
COMMON_MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
# What ``django-admin startproject`` puts in MIDDLEWARE: the baseline of the "project" rows.
PROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# The peer stack (the "bench" extra): X-Request-ID by django-guid, the request log by
# django-structlog, then what the suite's rows run of Django's own middleware.
PEER_APPS = ["django_guid", "django_structlog", "drf_standardized_errors"]
PEER_MISSING = [app for app in PEER_APPS if importlib.util.find_spec(app) is None]
PEER_MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "django_structlog.middlewares.RequestMiddleware",
]
ROWS = [{"id": i, "name": f"row {i}", "quantity": i % 7} for i in range(200)]
LIST_QUERY = "page=3&per_page=20"


def project_caches(cache_url: str) -> dict:
    """``CACHES`` as the project's settings make them from ``CACHE_URL=cache_url``."""
    saved = os.environ.get("CACHE_URL")
    os.environ["CACHE_URL"] = cache_url
    try:
        caches = copy.deepcopy(importlib.reload(project).CACHES)
    finally:
        if saved is None:
            del os.environ["CACHE_URL"]
        else:
            os.environ["CACHE_URL"] = saved
        importlib.reload(project)
    default = caches["default"]
    if default["BACKEND"].endswith("LocMemCache"):
        default.setdefault("OPTIONS", {})["MAX_ENTRIES"] = 1_000_000
    else:  # a shared server: keys of this run only, never a flush
        default["KEY_PREFIX"] = f"envelope-bench-{uuid.uuid4().hex[:12]}"
    return caches


from rest_framework.settings import DEFAULTS  # noqa: E402 - plain data, no settings access

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    ALLOWED_HOSTS=["localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
        "django.contrib.messages",
        "rest_framework",
        "drf_spectacular",
        "shared_core",
        "apipatterns",
        *([] if PEER_MISSING else PEER_APPS),
    ],
    MIDDLEWARE=SUITE_MIDDLEWARE + COMMON_MIDDLEWARE,
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    CACHES=project_caches("locmemcache://"),
    # No accounts app here: both sides authenticate with DRF's default classes, so the figures
    # compare the envelope, errors, pagination and throttling only.
    REST_FRAMEWORK={
        **copy.deepcopy(project.REST_FRAMEWORK),
        "DEFAULT_AUTHENTICATION_CLASSES": list(DEFAULTS["DEFAULT_AUTHENTICATION_CLASSES"]),
    },
    **{name: getattr(project, name) for name in dir(project) if name.startswith("API_")},
    LANGUAGE_CODE=project.LANGUAGE_CODE,
    USE_I18N=project.USE_I18N,
    USE_TZ=project.USE_TZ,
    SERVICE_NAME="bench",
    LOGGING_CONFIG=None,
    # The peer's request IDs under the suite's header name (django-guid's default is another).
    DJANGO_GUID={"GUID_HEADER_NAME": "X-Request-ID", "INTEGRATIONS": []},
)
django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework import exceptions, pagination, throttling  # noqa: E402
from rest_framework import renderers as drf_renderers  # noqa: E402
from rest_framework import views as drf_views  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.settings import DEFAULTS, IMPORT_STRINGS, APISettings, api_settings  # noqa: E402
from rest_framework.versioning import URLPathVersioning  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from apipatterns.handlers import exception_handler  # noqa: E402
from apipatterns.renderers import EnvelopeJSONRenderer  # noqa: E402
from shared_core.logging_config import get_logging_config  # noqa: E402

# DRF's defaults, whatever REST_FRAMEWORK says (PAGE_SIZE has no default; both sides use 20).
DRF_DEFAULTS = APISettings({"PAGE_SIZE": api_settings.PAGE_SIZE}, DEFAULTS, IMPORT_STRINGS)


class SmallView:
    def get(self, request, version=None):
        return Response({"id": 1, "name": "small", "ok": True})


class ListView:
    def get(self, request, version=None):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(ROWS, request, view=self)
        return paginator.get_paginated_response(page)


class DRFDefaults:
    """APIView policies straight from DRF's DEFAULTS."""

    settings = DRF_DEFAULTS
    renderer_classes = DRF_DEFAULTS.DEFAULT_RENDERER_CLASSES
    parser_classes = DRF_DEFAULTS.DEFAULT_PARSER_CLASSES
    authentication_classes = DRF_DEFAULTS.DEFAULT_AUTHENTICATION_CLASSES
    throttle_classes = DRF_DEFAULTS.DEFAULT_THROTTLE_CLASSES
    permission_classes = DRF_DEFAULTS.DEFAULT_PERMISSION_CLASSES
    content_negotiation_class = DRF_DEFAULTS.DEFAULT_CONTENT_NEGOTIATION_CLASS
    metadata_class = DRF_DEFAULTS.DEFAULT_METADATA_CLASS
    versioning_class = DRF_DEFAULTS.DEFAULT_VERSIONING_CLASS


class BarePagination(pagination.PageNumberPagination):
    page_size = DRF_DEFAULTS.PAGE_SIZE


class BareSmall(DRFDefaults, SmallView, APIView):
    pass


class BareList(DRFDefaults, ListView, APIView):
    pagination_class = BarePagination


class FullSmall(SmallView, APIView):
    pass


class FullList(ListView, APIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS


class PeerPagination(pagination.PageNumberPagination):
    page_size = DRF_DEFAULTS.PAGE_SIZE
    page_size_query_param = "per_page"
    max_page_size = 100


# DRF's defaults with drf-standardized-errors' handler: what its documentation has a project set.
PEER_SETTINGS = APISettings(
    {
        "PAGE_SIZE": api_settings.PAGE_SIZE,
        "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    },
    DEFAULTS,
    IMPORT_STRINGS,
)


class PeerPolicies(DRFDefaults):
    """DRF's defaults, its anon + user throttles at the suite's rates, URL versioning."""

    settings = PEER_SETTINGS
    throttle_classes = (throttling.AnonRateThrottle, throttling.UserRateThrottle)
    versioning_class = URLPathVersioning


class PeerSmall(PeerPolicies, SmallView, APIView):
    pass


class PeerList(PeerPolicies, ListView, APIView):
    pagination_class = PeerPagination


class PeerURLs:
    urlpatterns = [
        path("api/<str:version>/small", PeerSmall.as_view()),
        path("api/<str:version>/list", PeerList.as_view()),
    ]


class BareURLs:
    urlpatterns = [
        path("api/<str:version>/small", BareSmall.as_view()),
        path("api/<str:version>/list", BareList.as_view()),
    ]


class FullURLs:
    urlpatterns = [
        path("api/<str:version>/small", FullSmall.as_view()),
        path("api/<str:version>/list", FullList.as_view()),
    ]


urlpatterns: list = []  # ROOT_URLCONF: each stack resolves in its own URLconf


class StackHandler(WSGIHandler):
    """A WSGI handler with its own middleware list and URLconf (the same work on both sides)."""

    def __init__(self, middleware: list[str], urlconf: type) -> None:
        with override_settings(MIDDLEWARE=middleware):
            super().__init__()
        self.urlconf = urlconf

    def get_response(self, request):
        request.urlconf = self.urlconf
        return super().get_response(request)


def environ(path_info: str, query: str, client: int) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "HTTP_ACCEPT": "application/json",
        "REMOTE_ADDR": f"10.{client // 65536 % 256}.{client // 256 % 256}.{client % 256}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
    }


class Clients:
    """Rotating client addresses, each kept under half its anonymous rate per window."""

    def __init__(self, total_requests: int) -> None:
        anon = api_settings.DEFAULT_THROTTLE_RATES["anon"]
        per_window = int(anon.split("/")[0])
        self.count = max(1, math.ceil(total_requests / (per_window // 2)))
        self.next = 0

    def take(self) -> int:
        self.next += 1
        return self.next % self.count


def serve(handler: WSGIHandler, path_info: str, query: str, n: int, clients: Clients) -> float:
    """Serve ``n`` requests; return CPU µs per request."""
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    environs = [environ(path_info, query, clients.take()) for _ in range(n)]
    start = time.process_time()
    for env in environs:
        result = handler(env, start_response)
        b"".join(result)
        result.close()
    elapsed = time.process_time() - start
    bad = [s for s in statuses if not s.startswith("200")]
    if bad:
        raise SystemExit(f"{path_info}: unexpected statuses {set(bad)}")
    return elapsed / n * 1e6


def configure_structlog() -> None:
    """structlog as django-structlog's documentation sets it up: stdlib loggers, and the line
    rendered by the handler's ``ProcessorFormatter`` (so a dropped line is not rendered)."""
    import structlog

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )


def null_logging(level: str = "INFO") -> None:
    """The request log lines are built and handed to a handler that drops them."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"null": {"class": "logging.NullHandler"}},
            "root": {"handlers": ["null"], "level": level},
        }
    )


def real_logging(devnull: io.TextIOBase) -> None:
    """Each stack's production logging, writing to /dev/null: the suite's JSON config
    (formatter, filters) and, for the peer's django-structlog lines, structlog's JSON renderer."""
    config = get_logging_config("bench", "INFO", "json")
    if not PEER_MISSING:
        import structlog

        config["formatters"]["peer_json"] = {
            "()": structlog.stdlib.ProcessorFormatter,
            "processor": structlog.processors.JSONRenderer(),
        }
        config["handlers"]["peer"] = {"class": "logging.StreamHandler", "formatter": "peer_json"}
        config["loggers"]["django_structlog"] = {"handlers": ["peer"], "propagate": False}
    logging.config.dictConfig(config)
    for name in ("", "django_structlog"):
        for handler in logging.getLogger(name).handlers:
            handler.setStream(devnull)  # type: ignore[attr-defined]


def measure(
    handlers: list[WSGIHandler], target: tuple[str, str], requests: int, rounds: int, warmup: int
) -> list[list[float]]:
    """CPU µs per request of each stack, one figure per round; round ``i`` of all is a set."""
    path_info, query = target
    clients = Clients((rounds + 4) * requests * len(handlers) + warmup * len(handlers))
    for handler in handlers:  # warm-up: imports, URL resolver, translations, caches
        serve(handler, path_info, query, warmup, clients)
    gc.collect()
    gc.freeze()
    times: list[list[float]] = [[] for _ in handlers]
    for r in range(rounds + 2):
        order = range(len(handlers)) if r % 2 == 0 else reversed(range(len(handlers)))
        for i in order:
            gc.collect()
            elapsed = serve(handlers[i], path_info, query, requests, clients)
            if r >= 2:  # the first two rounds are more warm-up
                times[i].append(elapsed)
    gc.unfreeze()
    return times


def redis_caches(url: str) -> tuple[dict | None, str]:
    """The project's ``CACHES`` for Redis at ``url``, or ``None`` and why not."""
    if not url:
        return None, "no --redis URL"
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1).close()
    except OSError as exc:
        return None, f"Redis not reachable at {url} ({exc})"
    return project_caches(url), ""


def bench_requests(
    requests: int, rounds: int, redis_url: str, warmup: int = 300, only: list[str] | None = None
) -> None:
    peer = not PEER_MISSING
    stacks = {
        "strict": (COMMON_MIDDLEWARE, SUITE_MIDDLEWARE + COMMON_MIDDLEWARE),
        "project": (PROJECT_MIDDLEWARE, SUITE_MIDDLEWARE + PROJECT_MIDDLEWARE),
    }
    handlers = {
        name: [StackHandler(bare, BareURLs), StackHandler(full, FullURLs)]
        + ([StackHandler(PEER_MIDDLEWARE + bare, PeerURLs)] if peer else [])
        for name, (bare, full) in stacks.items()
    }
    if peer:
        configure_structlog()
    devnull = open(os.devnull, "w")  # noqa: SIM115 - kept open for the whole run
    small, listing = ("/api/v1/small", ""), ("/api/v1/list", LIST_QUERY)
    redis, why_not = redis_caches(redis_url)
    # (row, stack, target, logging, CACHES or None for the local-memory default)
    cases = [
        ("small view", "strict", small, null_logging, None),
        ("paginated list (20 of 200)", "strict", listing, null_logging, None),
        ("small view, JSON log line", "strict", small, lambda: real_logging(devnull), None),
        ("small view, LOG_LEVEL=WARNING", "strict", small, lambda: null_logging("WARNING"), None),
        ("project: small view", "project", small, null_logging, None),
        ("project: paginated list", "project", listing, null_logging, None),
    ]
    if redis is not None:
        cases += [
            ("Redis: small view", "strict", small, null_logging, redis),
            ("Redis: paginated list", "strict", listing, null_logging, redis),
        ]
    if only:  # --only: some of the rows (same methodology), for quick A/B runs
        cases = [case for case in cases if case[0] in only]
    print(
        f"Through WSGIHandler, DEBUG off: {rounds} sets of rounds x {requests} requests "
        "(order alternating), CPU time; throttle cache: local memory, Redis rows: "
        + (redis_url if redis is not None else f"skipped ({why_not})")
    )
    if not peer:
        print(
            f"peer stack: skipped ({', '.join(PEER_MISSING)} not installed: "
            'pip install -e ".[bench]")'
        )
    print(
        f"{'case':<30} {'bare µs':>8} {'suite µs':>8} {'peer µs':>8} {'extra µs':>9} "
        f"{'suite/bare':>10} {'suite/peer':>10} {'(middle half)':>13}"
    )
    for name, stack, target, configure_logging, caches in cases:
        configure_logging()
        with override_settings(CACHES=caches) if caches else contextlib.nullcontext():
            if caches is None:
                cache.clear()
            times = measure(handlers[stack], target, requests, rounds, warmup)
        b, f = statistics.median(times[0]), statistics.median(times[1])
        ratios = [bt / ft for bt, ft in zip(times[0], times[1], strict=True)]
        q1, ratio, q3 = statistics.quantiles(ratios, n=4)
        peer_us = peer_ratio = "-"
        if peer:
            peer_us = f"{statistics.median(times[2]):.1f}"
            peer_ratios = [pt / ft for pt, ft in zip(times[2], times[1], strict=True)]
            peer_ratio = f"{statistics.median(peer_ratios):.2f}x"
        print(
            f"{name:<30} {b:>8.1f} {f:>8.1f} {peer_us:>8} {f - b:>9.1f} {ratio:>9.2f}x "
            f"{peer_ratio:>10} {f'{q1:.2f}-{q3:.2f}':>13}"
        )
    print(
        "(µs: median over rounds; suite/bare and suite/peer: median over sets of the suite's "
        "requests/s as a fraction of bare DRF's and of the peer stack's; project rows: Django's "
        "startproject middleware on all sides)"
    )
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})


def bench_errors() -> None:
    print()
    print("Formatting a validation error (exception -> rendered body), µs:")
    print(f"{'field errors':>12} {'bare DRF':>10} {'suite':>10} {'suite µs/error':>15}")
    bare_renderer = drf_renderers.JSONRenderer()
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
                gc.collect()
                start = time.process_time()
                for _ in range(repeat):
                    func()
                best = min(best, (time.process_time() - start) / repeat * 1e6)
            timings.append(best)
        print(f"{count:>12} {timings[0]:>10.1f} {timings[1]:>10.1f} {timings[1] / count:>15.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="requests per round")
    parser.add_argument("--rounds", type=int, default=200, help="sets of rounds per case")
    parser.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/0",
        help="Redis for the Redis rows ('' skips them); keys are prefixed, nothing is flushed",
    )
    parser.add_argument("--warmup", type=int, default=300, help="requests per stack before")
    parser.add_argument(
        "--only",
        action="append",
        metavar="ROW",
        help="run only this row (its name as printed, e.g. 'Redis: small view'; repeatable) "
        "and skip the error-formatting table; default: every row",
    )
    args = parser.parse_args()
    bench_requests(args.requests, args.rounds, args.redis, args.warmup, args.only)
    if not args.only:
        bench_errors()


if __name__ == "__main__":
    main()
