"""The readiness checks on real parts: the configured database, local memory or Redis caches,
the file system, closed ports. (The downstream check is exercised in test_views.py through a
real local HTTP server.)"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from health_check.exceptions import HealthCheckException, ServiceUnavailable

from healthchecks.checks import (
    Cache,
    Database,
    DownstreamService,
    MigrationsApplied,
    Storage,
    readiness_checks,
    safe_message,
)

PENDING = {"healthchecks": "tests.healthchecks.pending_migrations"}


# --- MigrationsApplied -----------------------------------------------------------------------


@pytest.mark.django_db
def test_migrations_applied_passes_on_the_migrated_test_database():
    MigrationsApplied().run()


@pytest.mark.django_db
def test_migrations_applied_fails_naming_the_pending_migration(settings):
    settings.MIGRATION_MODULES = PENDING

    with pytest.raises(ServiceUnavailable) as raised:
        MigrationsApplied().run()

    assert "1 migration(s) not applied: healthchecks.0001_pending" in str(raised.value)


@pytest.mark.django_db
def test_migrations_applied_is_remembered_once_true(django_assert_num_queries, settings):
    MigrationsApplied().run()  # reads django_migrations

    with django_assert_num_queries(0):
        MigrationsApplied().run()

    # Changing what "all applied" means (here: a new pending migration) asks again.
    settings.MIGRATION_MODULES = PENDING
    with pytest.raises(ServiceUnavailable):
        MigrationsApplied().run()


@pytest.mark.django_db
def test_a_failed_migrations_check_is_not_remembered(settings):
    settings.MIGRATION_MODULES = PENDING
    with pytest.raises(ServiceUnavailable):
        MigrationsApplied().run()
    with pytest.raises(ServiceUnavailable):
        MigrationsApplied().run()


def test_migrations_applied_names_an_unknown_alias():
    with pytest.raises(ServiceUnavailable, match="alias does not exist"):
        MigrationsApplied(alias="nope").run()


# --- Cache -----------------------------------------------------------------------------------


def test_cache_check_sets_reads_and_deletes_its_key():
    cache = caches["default"]
    Cache().run()  # the configured cache: local memory, or Redis in the PostgreSQL + Redis pass
    # Local memory can be inspected: nothing is left behind (Redis: the test below).
    if isinstance(cache, LocMemCache):
        assert not [k for k in cache._cache if "djangohealthcheck_test" in k]


def test_cache_check_on_real_redis_leaves_no_key(settings, redis_url):
    import redis

    settings.CACHES = {
        **settings.CACHES,
        "probe": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "w7probe",
        },
    }
    Cache(alias="probe").run()

    client = redis.Redis.from_url(redis_url)
    assert client.keys("w7probe*") == []


def test_cache_check_reports_an_unreachable_redis(settings, closed_port):
    settings.CACHES = {
        **settings.CACHES,
        "dead": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:pw-s3cret@127.0.0.1:{closed_port}/0",
        },
    }
    with pytest.raises(ServiceUnavailable) as raised:
        Cache(alias="dead").run()

    assert str(raised.value) == "Unavailable: Cache backend error (ConnectionError)"


def test_cache_check_names_an_unknown_alias():
    with pytest.raises(ServiceUnavailable, match="Cache alias does not exist"):
        Cache(alias="nope").run()


# --- Storage (django-health-check's own) -----------------------------------------------------


def test_storage_check_writes_reads_and_deletes(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    Storage().run()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_storage_check_fails_where_nothing_can_be_written(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.MEDIA_ROOT = blocker / "media"  # a directory can never be created under a file

    with pytest.raises((HealthCheckException, OSError)):
        Storage().run()


# --- DownstreamService -----------------------------------------------------------------------


def test_downstream_repr_never_shows_its_url():
    check = DownstreamService(name="user-service", url="http://u:pw-s3cret@host/health")
    assert repr(check) == "DownstreamService(name='user-service')"
    assert "pw-s3cret" not in str(check.labels)


def test_downstream_passes_on_2xx_without_sending_the_service_token(stub_server, settings):
    settings.SERVICE_AUTH_TOKEN = "svc-s3cret"
    server = stub_server(status=204, body=b"")

    DownstreamService(name="user-service", url=f"{server.url}/health?deep=1").run()

    (request,) = server.requests
    assert request["path"] == "/health?deep=1"
    assert "Authorization" not in request


# --- what /ready runs ------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_readiness_checks_follow_the_settings(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {"BACKEND": settings.CACHES["default"]["BACKEND"]},
    }
    settings.HEALTHCHECK_STORAGE = True
    settings.HEALTHCHECK_DEPENDENCIES = {"user-service": "http://127.0.0.1:1/health"}

    specs = readiness_checks()

    assert specs == [
        (Database, {"alias": "default"}),
        (Database, {"alias": "replica"}),
        (MigrationsApplied, {"alias": "default"}),
        (Cache, {"alias": "default"}),
        (Cache, {"alias": "sessions"}),
        (Storage, {"alias": "default"}),
        (DownstreamService, {"name": "user-service", "url": "http://127.0.0.1:1/health"}),
    ]


def test_readiness_checks_by_default(settings):
    settings.HEALTHCHECK_STORAGE = False
    settings.HEALTHCHECK_DEPENDENCIES = {}
    assert [cls for cls, _ in readiness_checks()] == [Database, MigrationsApplied, Cache]


# --- safe_message ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("connect to postgres://app:pw-s3cret@db:5432/app failed", "pw-s3cret"),
        ("GET http://user:pass-word@svc/health", "pass-word"),
        ("redis://:only-pw@cache:6379/0 refused", "only-pw"),
        ("sent Authorization: Bearer tk-s3cret", "tk-s3cret"),
        ("password=hunter2 rejected", "hunter2"),
    ],
)
def test_safe_message_removes_credentials(text, secret):
    cleaned = safe_message(text)
    assert secret not in cleaned
    assert "[REDACTED]" in cleaned


def test_safe_message_keeps_ordinary_text():
    assert safe_message("3 migration(s) not applied") == "3 migration(s) not applied"
