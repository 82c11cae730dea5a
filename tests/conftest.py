"""Suite-wide fixtures: real PostgreSQL/Redis when present, captured real logging."""

from __future__ import annotations

import io
import logging
import logging.config
import os
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings

from shared_core.logging_config import get_logging_config

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, url: str) -> str:
    """Return ``url`` if the service answers; skip with a reason, or fail under ``CI=true``."""
    if _reachable(url):
        return url
    reason = f"{name} is not reachable at {url}"
    if IN_CI:
        pytest.fail(f"{reason}, and CI must not skip it")
    pytest.skip(f"{reason} (start it to run this test)")


def _default_database_is_postgresql() -> bool:
    return "postgresql" in settings.DATABASES["default"]["ENGINE"]


# --- A thread that dies with an exception fails the run ---------------------------------------
#: "Exception in thread …" reports recorded by the hook below, in order.
THREAD_EXCEPTIONS: list[str] = []
_reported_thread_exceptions = 0
_outside_tests: list[str] = []


def _recording_excepthook(
    previous: Callable[[threading.ExceptHookArgs], object],
) -> Callable[[threading.ExceptHookArgs], None]:
    def hook(args: threading.ExceptHookArgs) -> None:
        name = args.thread.name if args.thread is not None else "<unknown>"
        formatted = traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        THREAD_EXCEPTIONS.append(f"Exception in thread {name}:\n{''.join(formatted)}")
        previous(args)

    return hook


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Record every exception a thread dies with (server threads, pools, helpers), on top of
    whatever hook is there (pytest's own, which only warns)."""
    threading.excepthook = _recording_excepthook(threading.excepthook)


def _unreported_thread_exceptions() -> list[str]:
    global _reported_thread_exceptions
    new = THREAD_EXCEPTIONS[_reported_thread_exceptions:]
    _reported_thread_exceptions = len(THREAD_EXCEPTIONS)
    return new


@pytest.fixture(autouse=True)
def _no_thread_dies() -> Iterator[None]:
    """Fail the test during which a thread raised."""
    _outside_tests.extend(_unreported_thread_exceptions())  # between tests: the session's
    yield
    died = _unreported_thread_exceptions()
    if died:
        pytest.fail("a thread raised during this test:\n" + "\n".join(died), pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a thread raised outside any test (collection, fixtures' teardown)."""
    died = _outside_tests + _unreported_thread_exceptions()
    if died:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("A thread raised outside the tests:\n" + "\n".join(died), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Select the ``stack``, ``container`` and ``postgres_only`` tests for this pass."""
    _select_once_per_run(config, items, "stack")
    _select_once_per_run(config, items, "container")
    _select_postgres_only_tests(config, items)


def _select_once_per_run(config: pytest.Config, items: list[pytest.Item], marker: str) -> None:
    """Run tests marked ``marker`` (slow: minutes each) once per ``scripts/test``.

    ``stack`` (fuzzing, faults) and ``container`` (podman image build, docker-compose.yml) tests
    run in the PostgreSQL pass (always run under CI=true) and are deselected, not skipped, in the
    SQLite pass; ``RUN_STACK_TESTS`` / ``RUN_CONTAINER_TESTS`` ``=1`` runs them in any pass, ``=0``
    in none. Where podman is missing, container tests skip with the reason outside CI
    (tests/deploy/conftest.py).
    """
    wanted = os.environ.get(f"RUN_{marker.upper()}_TESTS")
    run = (
        _default_database_is_postgresql()
        if wanted is None
        else wanted.lower() in ("1", "true", "yes")
    )
    if run:
        return
    deselected = [item for item in items if item.get_closest_marker(marker)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(marker)]


def _select_postgres_only_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.postgres_only`` tests need PostgreSQL as the default database.

    ``scripts/test`` runs the suite twice, on SQLite and then on PostgreSQL + Redis. On any
    other default database these tests are deselected under ``CI=true`` (the PostgreSQL pass
    runs them, and CI reports no skip) and skipped with the reason outside CI.
    """
    if _default_database_is_postgresql():
        return
    marked = [item for item in items if item.get_closest_marker("postgres_only")]
    if not marked:
        return
    if IN_CI:
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]
        config.hook.pytest_deselected(items=marked)
        return
    reason = "needs PostgreSQL as the default database (set DATABASE_URL; CI runs it there)"
    for item in marked:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def postgres_url() -> str:
    """URL of a real PostgreSQL server (skips outside CI when there is none)."""
    return require_service("PostgreSQL", POSTGRES_URL)


@pytest.fixture
def redis_url() -> str:
    """URL of a real Redis database reserved for tests (skips outside CI when there is none)."""
    return require_service("Redis", REDIS_URL)


@pytest.fixture
def log_output() -> Iterator[Callable[..., io.StringIO]]:
    """Configure the real logging config with a given format; return what it writes."""

    def configure(fmt: str = "text", level: str = "INFO", service_name: str = "test-service"):
        config = get_logging_config(service_name=service_name, level=level, fmt=fmt)
        logging.config.dictConfig(config)
        stream = io.StringIO()
        handler = logging.getLogger().handlers[0]
        handler.setStream(stream)  # type: ignore[attr-defined]
        return stream

    yield configure
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Start every test with an empty cache (throttle counters, cached introspections)."""
    from django.core.cache import caches

    for alias in settings.CACHES:
        caches[alias].clear()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Under ``CI=true`` a skipped test is a failed one: CI must run everything it collects.

    Tests that belong to the other pass of ``scripts/test`` are deselected, not skipped, so
    they never reach this hook; expected failures (xfail) are left alone.
    """
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where nothing may skip: {reason}"
