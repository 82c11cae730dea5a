"""``/health`` (liveness) and ``/ready`` (readiness) on django-health-check's ``HealthCheckView``.

What we add to the library's view:

- **503, not 500**, when a check fails: load balancers and orchestrators read 503 as "not ready,
  try elsewhere", and a 500 would look like a bug in the probe endpoint itself.
- **JSON by default** (no ``Accept``, ``*/*``, ``application/json`` or an unparsable header), naming
  each check with its status and time; browsers asking for ``text/html`` still get the library's
  page, and ``?format=text|json|…`` still works.
- **Synchronous**, where the library's view is async: under WSGI (gunicorn) an async view costs
  an event loop in a new thread per request. ``/health`` runs no check and answers at once;
  ``/ready``'s checks (all synchronous: they do I/O) run at the same time in threads, without an
  event loop. Only a coroutine check, or a format other than JSON, goes through the library's
  async code.
- **Bounded answers**: every check gets a timeout (``HEALTHCHECK_TIMEOUT`` unless its options give
  one; as the library does, the answer waits one second more for the check to report its own
  timeout), and synchronous checks run in a per-request thread pool that is *abandoned*, not
  joined, when the answer is ready: joining it would hold the answer for as long as a hanging
  dependency hangs.
- Error messages pass through the suite's redaction, and URL user info is stripped, so an answer
  never carries credentials.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import datetime
import inspect
import logging
import timeit
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import async_to_sync
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from health_check.base import HealthCheck, HealthCheckResult
from health_check.exceptions import HealthCheckException, ServiceUnavailable
from health_check.views import HealthCheckView, MediaType

from healthchecks.checks import readiness_checks, safe_message
from healthchecks.conf import health_settings

__all__ = ["HealthView", "LivenessView", "ReadinessView", "SettingsChecks"]

P = ParamSpec("P")
T = TypeVar("T")

# The ?format= values HealthCheckView renders; any other value is ignored (as the library does).
LIBRARY_FORMATS = frozenset({"json", "text", "atom", "rss", "openmetrics"})

# Worker threads are started lazily, one per check running at the same time: this is a ceiling,
# high enough that no check waits in the queue while its timeout runs.
MAX_CHECK_THREADS = 32

# The library's logger: a failing check is logged under the same name whichever path ran it.
logger = logging.getLogger("health_check")


class _ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the submitter's ``contextvars`` context.

    ``loop.run_in_executor`` does not copy the context, so without this the request ID would be
    missing from the log lines a check writes.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)  # type: ignore[arg-type]


@contextlib.contextmanager
def abandoning_executor() -> Iterator[Executor]:
    """Yield a thread pool that is shut down *without waiting* for checks still running.

    A check that outlived its timeout keeps its thread until its own client timeout ends it;
    the answer does not wait for it.
    """
    executor = _ContextThreadPoolExecutor(
        max_workers=MAX_CHECK_THREADS, thread_name_prefix="healthcheck"
    )
    try:
        yield executor
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _timed_run(check: HealthCheck) -> float:
    """Run a synchronous check; return the seconds it took."""
    started = timeit.default_timer()
    check.run()
    return timeit.default_timer() - started


def _result(check: HealthCheck, future: Future[float], started: float) -> HealthCheckResult:
    """Wait for one check (its timeout plus one second from ``started``, as the library does)
    and turn the outcome into the library's result, with the library's messages."""
    budget = check.timeout.total_seconds() + 1
    error: HealthCheckException | None = None
    try:
        time_taken = future.result(timeout=max(0.0, started + budget - timeit.default_timer()))
    except HealthCheckException as e:
        error = e
        logger.warning("Health check %r failed", check, exc_info=True)
    except concurrent.futures.TimeoutError:
        error = ServiceUnavailable(f"Timed out after {check.timeout.total_seconds():g} seconds")
        logger.warning("Health check %r failed", check, exc_info=True)
    except Exception:
        logger.exception("Unexpected exception during health check")
        error = HealthCheckException("unknown error")
    if error is not None:
        time_taken = timeit.default_timer() - started
    return HealthCheckResult(check=check, error=error, time_taken=time_taken)


def _prefers_default_json(accept: str) -> bool:
    """True when the client states no preference the library would serve as something else."""
    if not accept.strip():
        return True
    try:
        best = next(MediaType.parse_header(accept), None)
    except ValueError:
        # The library would raise (a 500) on a malformed Accept header; a probe gets JSON.
        return True
    return best is None or best.mime_type == "*/*"


class SettingsChecks:
    """The readiness checks the settings name, read again on every request.

    Pass it as ``checks=`` so that per-service settings (and ``override_settings`` in tests)
    decide what ``/ready`` probes, without rebuilding the URL conf.
    """

    def __iter__(self) -> Iterator[tuple[type[HealthCheck], dict[str, Any]]]:
        return iter(readiness_checks())


class HealthView(HealthCheckView):
    """``HealthCheckView`` answering 503 on failure, JSON by default, within a bounded time.

    ``checks`` takes what the library's view takes (classes, dotted paths, or ``(class, options)``
    pairs). ``timeout`` (seconds) applies to every check whose options set none; ``None`` means
    ``HEALTHCHECK_TIMEOUT``.
    """

    checks: Iterable[Any] = ()
    timeout: float | None = None
    # Probes only read: any other method is a 405 with ``Allow`` (problem+json, through
    # apipatterns' middleware), never a CSRF 403.
    http_method_names = ["get", "head", "options"]

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        """The view, exempt from CSRF: it changes nothing, so an unsafe method is refused by
        method (405), not by the CSRF check that would run first (403)."""
        return csrf_exempt(super().as_view(**initkwargs))

    def get_timeout(self) -> datetime.timedelta:
        """The timeout given to each check that does not set its own."""
        seconds = self.timeout if self.timeout is not None else health_settings.HEALTHCHECK_TIMEOUT
        return datetime.timedelta(seconds=float(seconds))

    def get_checks(self) -> Iterator[HealthCheck]:
        """Instantiate the checks as the library does, then apply the default timeout."""
        default_timeout = self.get_timeout()
        for spec in self.checks:
            try:
                check, options = spec
            except (ValueError, TypeError):
                check, options = spec, {}
            if isinstance(check, str):
                check = import_string(check)
            instance = check(**options)
            if "timeout" not in options:
                instance.timeout = default_timeout
            yield instance

    def get_executor(self) -> contextlib.AbstractContextManager[Executor | None]:
        return abandoning_executor()

    @method_decorator(transaction.non_atomic_requests)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """The library's ``dispatch`` (``Vary: Accept``, never cached), but synchronous.

        Under WSGI an async view costs an event loop in a new thread per request (about 2 ms
        of CPU): a probe hit every few seconds by every replica's orchestrator should not.
        """
        response = View.dispatch(self, request, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        add_never_cache_headers(response)
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        explicit_format = bool(query) and request.GET.get("format") in LIBRARY_FORMATS
        if explicit_format or not _prefers_default_json(request.META.get("HTTP_ACCEPT", "")):
            # An explicit choice (text/html for a browser, text/plain, feeds, OpenMetrics):
            # the library's own (async) view negotiates; only its "a check failed" status
            # changes. Rare, so its event loop is affordable here.
            response = async_to_sync(HealthCheckView.get)(self, request, *args, **kwargs)
            if response.status_code == 500:
                response.status_code = 503
            return response
        self.results = self.run_checks()
        return self.render_to_response_json(200)

    def run_checks(self) -> list[HealthCheckResult]:
        """Run every check and report each one as the library's ``HealthCheck.get_result`` does.

        No check (``/health``): nothing runs. Synchronous checks (all of the suite's: they do
        I/O) run at the same time in the abandoning executor, without an event loop; any
        coroutine check sends the whole run through the library's own ``get_result``.
        """
        checks = list(self.get_checks())
        if not checks:
            return []
        if any(inspect.iscoroutinefunction(check.run) for check in checks):
            return async_to_sync(self._gather)(checks)
        with self.get_executor() as executor:
            assert executor is not None
            started = timeit.default_timer()
            futures = [executor.submit(_timed_run, check) for check in checks]
            return [
                _result(check, future, started)
                for check, future in zip(checks, futures, strict=True)
            ]

    async def _gather(self, checks: list[HealthCheck]) -> list[HealthCheckResult]:
        with self.get_executor() as executor:
            return list(await asyncio.gather(*(check.get_result(executor) for check in checks)))

    def _sanitize_errors(self) -> None:
        """Strip credentials from every error message before any renderer shows it."""
        for result in self.results:
            if result.error is not None:
                result.error.message = safe_message(str(result.error.message))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self._sanitize_errors()
        return super().get_context_data(**kwargs)

    def render_to_response_json(self, status: int) -> JsonResponse:
        """``{"status": "ok"|"unavailable", "checks": {name: {"status", "time_ms", "error"?}}}``."""
        self._sanitize_errors()
        checks: dict[str, dict[str, Any]] = {}
        for result in self.results:
            entry: dict[str, Any] = {
                "status": "ok" if result.error is None else "error",
                "time_ms": round(result.time_taken * 1000, 1),
            }
            if result.error is not None:
                entry["error"] = str(result.error)
            checks[repr(result.check)] = entry
        failed = any(result.error for result in self.results)
        return JsonResponse(
            {"status": "unavailable" if failed else "ok", "checks": checks},
            status=503 if failed else status,
        )

    def render_to_response_text(self, status: int) -> HttpResponse:
        self._sanitize_errors()
        return super().render_to_response_text(503 if status == 500 else status)

    def render_to_response_atom(self) -> HttpResponse:
        self._sanitize_errors()
        return super().render_to_response_atom()

    def render_to_response_rss(self) -> HttpResponse:
        self._sanitize_errors()
        return super().render_to_response_rss()


class LivenessView(HealthView):
    """``/health``: answers 200 whenever the process can serve a request.

    It runs no check at all (no query, no I/O): a dead database must make the service *not
    ready*, never get a healthy process restarted.
    """

    checks = ()


class ReadinessView(HealthView):
    """``/ready``: database, migrations, cache, storage and downstream services, per settings."""

    checks = SettingsChecks()
