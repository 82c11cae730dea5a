"""/health and /ready through the whole middleware stack (settings.urls mounts healthchecks.urls).

Real parts: the configured database (SQLite, or PostgreSQL in the PG pass) and cache (local
memory, or Redis), real local HTTP servers for downstream services, a real closed port.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import threading
import time

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.db import connections
from django.test import Client, RequestFactory
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from healthchecks.checks import Database
from healthchecks.views import HealthView, LivenessView, ReadinessView, SettingsChecks
from tests.settings_support import unset

PENDING = {"healthchecks": "tests.healthchecks.pending_migrations"}


def checks_of(response) -> dict[str, dict]:
    body = json.loads(response.content)
    assert set(body) == {"status", "checks"}
    return body["checks"]


# --- /health ---------------------------------------------------------------------------------


def test_health_is_200_json_and_touches_no_database(client):
    # No django_db mark: pytest-django makes any database access raise, so a 200 here proves
    # that liveness runs no query (and opens no connection).
    response = client.get("/health")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {}}
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Request-ID"]


def test_health_answers_head_for_probes_that_use_it(client):
    assert client.head("/health").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/health"), ("put", "/health"), ("delete", "/health"), ("post", "/ready")],
)
def test_unsafe_methods_on_probes_are_405_with_allow_not_a_csrf_403(method, path):
    # A browser-like client with CSRF checks on, as the services run: the method is refused
    # for what it is, with the methods the probe takes.
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path)

    assert response.status_code == 405, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


# --- /ready: everything up -------------------------------------------------------------------


@pytest.mark.django_db
def test_ready_is_200_and_reports_every_check_when_all_is_up(
    client, settings, tmp_path, stub_server
):
    user_service = stub_server(status=200)
    settings.HEALTHCHECK_STORAGE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.HEALTHCHECK_DEPENDENCIES = {"user-service": f"{user_service.url}/health"}

    response = client.get("/ready", HTTP_ACCEPT="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"
    checks = checks_of(response)
    assert set(checks) == {
        "Database(alias='default')",
        "MigrationsApplied(alias='default')",
        "Cache(alias='default')",
        "Storage(alias='default')",
        "DownstreamService(name='user-service')",
    }
    for name, entry in checks.items():
        assert entry["status"] == "ok", (name, entry)
        assert isinstance(entry["time_ms"], float) and entry["time_ms"] >= 0
        assert "error" not in entry
    assert [r["path"] for r in user_service.requests] == ["/health"]
    # The check ran in a worker thread, yet in the request's context: its ID was forwarded.
    assert user_service.requests[0]["X-Request-ID"] == response["X-Request-ID"]
    # The storage probe cleaned up after itself.
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


@pytest.mark.django_db
def test_ready_defaults_to_json_for_probes_without_a_preference(client):
    for accept in (None, "*/*", "application/json", "not a media type;;"):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        response = client.get("/ready", **headers)
        assert response.status_code == 200, (accept, response.content)
        assert response["Content-Type"] == "application/json", accept
        assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_an_unknown_format_with_a_malformed_accept_header_still_gets_json(client):
    response = client.get("/ready?format=bogus", HTTP_ACCEPT="not a media type;;")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_ready_keeps_the_library_formats_on_request(client):
    html = client.get("/ready", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    text = client.get("/ready?format=text")

    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert b"Database(alias=&#x27;default&#x27;)" in html.content
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    assert "Database(alias='default'): OK" in text.content.decode()


# --- /ready: failures ------------------------------------------------------------------------


@pytest.mark.django_db
def test_pending_migration_makes_ready_503_naming_it(client, settings):
    settings.MIGRATION_MODULES = PENDING

    response = client.get("/ready")

    assert response.status_code == 503
    checks = checks_of(response)
    assert response.json()["status"] == "unavailable"
    assert checks["MigrationsApplied(alias='default')"]["status"] == "error"
    assert "healthchecks.0001_pending" in checks["MigrationsApplied(alias='default')"]["error"]
    assert checks["Database(alias='default')"]["status"] == "ok"


@pytest.mark.django_db
def test_failure_is_503_in_every_format(client, settings):
    settings.MIGRATION_MODULES = PENDING

    for url, accept in (
        ("/ready", "application/json"),
        ("/ready", "text/html"),
        ("/ready?format=text", "*/*"),
        ("/ready?format=json", "*/*"),
    ):
        assert client.get(url, HTTP_ACCEPT=accept).status_code == 503, (url, accept)


@pytest.mark.django_db
def test_hanging_downstream_makes_ready_answer_within_its_bound(client, settings, stub_server):
    hanging = stub_server(hang=True, max_hang=30)
    settings.HEALTHCHECK_TIMEOUT = 0.5
    settings.HEALTHCHECK_DEPENDENCIES = {"ticket-service": f"{hanging.url}/health"}

    started = time.monotonic()
    response = client.get("/ready")
    elapsed = time.monotonic() - started

    # The downstream hangs for 30 s; the promised bound is HEALTHCHECK_TIMEOUT + 1 s. The margin
    # is wide on purpose (a loaded CI machine): this proves the answer does not wait for the hang.
    assert elapsed < 10, f"/ready took {elapsed:.1f} s with a hanging downstream"
    assert response.status_code == 503
    checks = checks_of(response)
    entry = checks["DownstreamService(name='ticket-service')"]
    assert entry["status"] == "error"
    assert "did not answer within 0.5 s" in entry["error"]
    assert checks["Database(alias='default')"]["status"] == "ok"
    assert len(hanging.requests) == 1  # no retry


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"status": 500}, "answered HTTP 500"),
        ({"status": 503}, "answered HTTP 503"),
    ],
)
def test_failing_downstream_is_called_once_and_named(
    client, settings, stub_server, options, expected
):
    downstream = stub_server(**options)
    settings.HEALTHCHECK_DEPENDENCIES = {"file-service": f"{downstream.url}/health"}

    response = client.get("/ready")

    assert response.status_code == 503
    entry = checks_of(response)["DownstreamService(name='file-service')"]
    assert entry["status"] == "error" and expected in entry["error"]
    assert len(downstream.requests) == 1  # retries=0, whatever HTTP_CLIENT_RETRIES says


@pytest.mark.django_db
def test_unreachable_downstream_does_not_leak_its_url(client, settings, closed_port):
    settings.HEALTHCHECK_DEPENDENCIES = {
        "user-service": f"http://127.0.0.1:{closed_port}/health?token=tk-s3cret"
    }

    response = client.get("/ready")

    assert response.status_code == 503
    entry = checks_of(response)["DownstreamService(name='user-service')"]
    assert entry["error"] == "Unavailable: user-service could not be reached"
    for secret in (b"tk-s3cret", str(closed_port).encode()):
        assert secret not in response.content


@pytest.mark.django_db
def test_downstream_url_with_credentials_fails_without_showing_them(client, settings):
    settings.HEALTHCHECK_DEPENDENCIES = {"user-service": "http://probe:pw-s3cret@127.0.0.1:1/h"}

    response = client.get("/ready")

    assert response.status_code == 503
    entry = checks_of(response)["DownstreamService(name='user-service')"]
    assert entry["error"] == "Unavailable: user-service has an invalid health URL"
    assert b"pw-s3cret" not in response.content


# --- the view itself (checks given to as_view, as a service would) -----------------------------


@dataclasses.dataclass
class Hanging(HealthCheck):
    """A synchronous check stuck until the test releases it (a driver call that never returns)."""

    release: threading.Event = dataclasses.field(default_factory=threading.Event, repr=False)
    # Like the library's Cache, it declares its timeout as an option a service may set.
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=5), repr=False
    )

    def run(self) -> None:
        self.release.wait(30)


@dataclasses.dataclass
class LeakyFailure(HealthCheck):
    """A check whose error quotes a URL with credentials, as a careless driver message might."""

    def run(self) -> None:
        raise ServiceUnavailable(
            "could not connect to postgres://app:pw-s3cret@db.internal:5432/app "
            "(Authorization: Bearer tk-s3cret)"
        )


def call(view, path: str = "/ready", **headers: str):
    """Run a view the way Django's WSGI handler does (an async one through async_to_sync)."""
    request = RequestFactory().get(path, **headers)
    if iscoroutinefunction(view):
        return async_to_sync(view)(request)
    return view(request)


def test_a_hanging_synchronous_check_is_abandoned_at_its_timeout():
    release = threading.Event()
    view = HealthView.as_view(checks=[(Hanging, {"release": release})], timeout=0.2)
    try:
        started = time.monotonic()
        response = call(view)
        elapsed = time.monotonic() - started
    finally:
        release.set()

    # Without the abandoning executor, asyncio.run would join the stuck thread (30 s).
    assert elapsed < 10, f"the view waited {elapsed:.1f} s for a stuck check"
    assert response.status_code == 503
    entry = checks_of(response)["Hanging()"]
    assert entry["error"] == "Unavailable: Timed out after 0.2 seconds"


def test_a_check_with_its_own_timeout_keeps_it():
    release = threading.Event()
    check = (Hanging, {"release": release, "timeout": datetime.timedelta(seconds=0.1)})
    view = HealthView.as_view(checks=[check], timeout=60)
    try:
        response = call(view)
    finally:
        release.set()

    assert checks_of(response)["Hanging()"]["error"] == "Unavailable: Timed out after 0.1 seconds"


def test_probes_are_synchronous_views_so_wsgi_runs_them_without_an_event_loop():
    assert not iscoroutinefunction(LivenessView.as_view())
    assert not iscoroutinefunction(ReadinessView.as_view(checks=SettingsChecks()))


@dataclasses.dataclass
class Meeting(HealthCheck):
    """Two of these pass only if they run at the same time: each waits for the other."""

    me: threading.Event = dataclasses.field(repr=False, default_factory=threading.Event)
    other: threading.Event = dataclasses.field(repr=False, default_factory=threading.Event)
    name: str = ""

    def run(self) -> None:
        self.me.set()
        if not self.other.wait(1):
            raise ServiceUnavailable("ran alone")


def test_synchronous_checks_run_at_the_same_time():
    first, second = threading.Event(), threading.Event()
    view = HealthView.as_view(
        checks=[
            (Meeting, {"me": first, "other": second, "name": "a"}),
            (Meeting, {"me": second, "other": first, "name": "b"}),
        ],
        timeout=10,
    )

    response = call(view)

    assert response.status_code == 200, response.content
    assert {entry["status"] for entry in checks_of(response).values()} == {"ok"}


@dataclasses.dataclass
class AsyncFailure(HealthCheck):
    """A coroutine check, as the library's own ``Cache`` and ``DNS`` are."""

    async def run(self) -> None:
        raise ServiceUnavailable("async check failed")


def test_a_coroutine_check_still_runs_through_the_library():
    response = call(HealthView.as_view(checks=[AsyncFailure, Meeting], timeout=10))

    assert response.status_code == 503
    checks = checks_of(response)
    assert checks["AsyncFailure()"]["error"] == "Unavailable: async check failed"
    assert checks["Meeting(name='')"]["error"] == "Unavailable: ran alone"


@dataclasses.dataclass
class Broken(HealthCheck):
    """A check with a bug: an exception the library does not expect, quoting a secret."""

    def run(self) -> None:
        raise RuntimeError("pw-s3cret")


def test_a_check_raising_an_unexpected_error_is_reported_without_its_message():
    response = call(HealthView.as_view(checks=[Broken]))

    assert response.status_code == 503
    assert checks_of(response)["Broken()"]["error"] == "Unknown Error: unknown error"
    assert b"pw-s3cret" not in response.content


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/ready", "application/json"), ("/ready?format=text", "*/*"), ("/ready", "text/html")],
)
def test_error_messages_never_carry_credentials(path, accept):
    response = call(HealthView.as_view(checks=[LeakyFailure]), path, HTTP_ACCEPT=accept)
    if hasattr(response, "render"):
        response.render()

    assert response.status_code == 503
    assert b"pw-s3cret" not in response.content
    assert b"tk-s3cret" not in response.content
    assert b"[REDACTED]" in response.content


@pytest.fixture
def unreachable_database(closed_port):
    """A database alias pointing at a PostgreSQL port nothing listens on (password included)."""
    alias = "unreachable"
    raw = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "app",
        "USER": "app",
        "PASSWORD": "pw-s3cret",
        "HOST": "127.0.0.1",
        "PORT": str(closed_port),
    }
    configured = connections.configure_settings({"default": connections.settings["default"]})
    configured = connections.configure_settings({**configured, alias: raw})
    connections.settings[alias] = configured[alias]
    yield alias
    del connections.settings[alias]


def test_unreachable_database_makes_ready_503_naming_it(unreachable_database, django_db_blocker):
    view = ReadinessView.as_view(checks=[(Database, {"alias": unreachable_database})])

    # Not a django_db test (its test case would forbid the extra alias): the blocker is lifted
    # so the check really tries to connect, and is refused by the closed port.
    with django_db_blocker.unblock():
        response = call(view)

    assert response.status_code == 503
    entry = checks_of(response)[f"Database(alias='{unreachable_database}')"]
    assert entry["status"] == "error"
    assert entry["error"].startswith("Unavailable:")
    assert b"pw-s3cret" not in response.content


def test_liveness_stays_200_while_a_database_is_unreachable(unreachable_database):
    # LivenessView is mounted with checks=(); its class default is no checks either.
    response = call(LivenessView.as_view(), "/health")

    assert response.status_code == 200
    assert checks_of(response) == {}


@pytest.mark.django_db
def test_health_and_ready_answer_with_the_default_settings(client):
    # Reported: a project that followed docs/healthchecks.md (no HEALTHCHECK_* lines) got
    # AttributeError: 'Settings' object has no attribute 'HEALTHCHECK_TIMEOUT' on both.
    with unset("HEALTHCHECK_TIMEOUT", "HEALTHCHECK_DEPENDENCIES", "HEALTHCHECK_STORAGE"):
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
    assert ready.status_code == 200
    assert not any(name.startswith(("Storage", "DownstreamService")) for name in checks_of(ready))
