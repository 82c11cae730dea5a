"""Readiness checks: django-health-check's own classes where they exist, ours where they do not.

Every check is a :class:`health_check.base.HealthCheck` (a dataclass whose ``repr`` names it in
reports). Synchronous ``run`` methods execute in the view's worker threads, so a check that hangs
is abandoned after its ``timeout`` instead of holding the answer (see ``healthchecks.views``).
Error messages never carry URLs or credentials: they are shown to whoever calls ``/ready``.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import CacheKeyWarning, caches
from django.core.cache.backends.base import InvalidCacheBackendError
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.dispatch import receiver
from django.utils.connection import ConnectionDoesNotExist
from health_check import checks as library_checks
from health_check.base import HealthCheck
from health_check.exceptions import ServiceReturnedUnexpectedResult, ServiceUnavailable

from healthchecks.conf import health_settings
from shared_core.conf import shared_core_settings
from shared_core.http import (
    HTTPClient,
    ServiceConnectionError,
    ServiceError,
    ServiceHTTPError,
    ServiceTimeoutError,
)
from shared_core.redaction import redact_text

try:
    # redis-py's errors (connection, timeout, read-only) derive from none of the built-ins.
    from redis.exceptions import RedisError
except ModuleNotFoundError:  # pragma: no cover - redis is an optional extra

    class RedisError(Exception):  # type: ignore[no-redef]
        """Stand-in so the except clause stays valid without redis-py."""


__all__ = [
    "Cache",
    "Database",
    "DownstreamService",
    "MigrationsApplied",
    "Storage",
    "readiness_checks",
    "safe_message",
]

# "scheme://user:password@host" -> "scheme://[REDACTED]@host", wherever a message quotes a URL.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)


def safe_message(text: str) -> str:
    """Return ``text`` without credentials: URL user info and the suite's secret patterns."""
    return redact_text(_URL_USERINFO.sub(r"\g<scheme>[REDACTED]@", text))


# django-health-check's checks, used as they are.
Database = library_checks.Database
Storage = library_checks.Storage


@dataclasses.dataclass
class Cache(library_checks.Cache):
    """django-health-check's cache probe (set, get, then delete a per-probe key), run in a thread.

    The library's ``Cache.run`` is a coroutine that awaits Django's ``aset``/``aget``; for the
    built-in backends those are ``sync_to_async(thread_sensitive=True)`` and so run in the
    request's own thread, where a Redis server that stops answering would hold the whole
    response. A synchronous ``run`` goes to the view's executor and is abandoned at the timeout.
    """

    def run(self) -> None:  # type: ignore[override]  # sync on purpose, see the class docstring
        try:
            cache = caches[self.alias]
        except InvalidCacheBackendError as e:
            raise ServiceUnavailable("Cache alias does not exist") from e
        # shared_core.cache.FailSafeRedisCache absorbs outages for the application; the probe
        # must see them, so it talks to the same client without that safety net.
        cache = getattr(cache, "strict", cache)
        key = f"{self.key_prefix}:{uuid.uuid4().hex}"
        value = f"itworks-{uuid.uuid4().hex}"
        try:
            cache.set(key, value, timeout=max(1, int(self.timeout.total_seconds())))
            if cache.get(key) != value:
                raise ServiceUnavailable("Cache did not return the value just stored")
            cache.delete(key)
        except CacheKeyWarning as e:
            raise ServiceReturnedUnexpectedResult("Cache key warning") from e
        except ValueError as e:
            raise ServiceReturnedUnexpectedResult("ValueError") from e
        except (ConnectionError, TimeoutError, RedisError) as e:
            raise ServiceUnavailable(f"Cache backend error ({type(e).__name__})") from e


# Aliases whose migrations were all found applied: migrations are not un-applied under a
# running process, so once true the answer is kept for the life of the process.
_migrated_aliases: set[str] = set()
_migrated_lock = threading.Lock()


def reset_migrations_cache() -> None:
    """Forget which databases were found fully migrated (the next check asks again)."""
    with _migrated_lock:
        _migrated_aliases.clear()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    # override_settings(MIGRATION_MODULES=…) in tests changes what "all applied" means.
    if setting in ("DATABASES", "MIGRATION_MODULES", "INSTALLED_APPS"):
        reset_migrations_cache()


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration on disk is applied to the database ``alias``.

    django-health-check 4.x has no such check. It asks Django's own ``MigrationExecutor`` for the
    plan to the leaf nodes (what ``migrate --check`` and ``runserver`` do) and, once the plan is
    empty, remembers it for the life of the process so that later probes cost nothing.
    """

    alias: str = "default"

    def run(self) -> None:
        if self.alias in _migrated_aliases:
            return
        try:
            connection = connections[self.alias]
        except ConnectionDoesNotExist as e:
            raise ServiceUnavailable("Database alias does not exist") from e
        try:
            # temporary_connection closes the connection it opened: this runs in a worker
            # thread whose connection would otherwise stay open until garbage collection.
            with connection.temporary_connection():
                executor = MigrationExecutor(connection)
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as e:
            reason = type(e).__name__
            raise ServiceUnavailable(f"Could not read applied migrations ({reason})") from e
        if plan:
            names = sorted({f"{m.app_label}.{m.name}" for m, backwards in plan if not backwards})
            shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied: {shown}")
        with _migrated_lock:
            _migrated_aliases.add(self.alias)


@dataclasses.dataclass
class DownstreamService(HealthCheck):
    """Another service's health URL answers 2xx, called once through ``shared_core`` HTTPClient.

    No retries and no circuit breaker: a readiness probe reports what it sees now, and the
    probe's own schedule is the retry. The client's timeout and deadline are this check's
    ``timeout``. The URL is kept out of ``repr`` and of every message (it may carry credentials).
    """

    name: str
    url: str = dataclasses.field(repr=False)
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=2), repr=False
    )

    def run(self) -> None:
        seconds = self.timeout.total_seconds()
        try:
            # HTTPClient joins paths under its base URL with a trailing slash ("/health/"), so
            # the base is the origin and the health URL's path (and query) is the path called.
            parts = urlsplit(self.url)
            path = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
            client = HTTPClient(
                f"{parts.scheme}://{parts.netloc}/",
                # Health endpoints are public: the service token is not sent where not needed.
                auth_token="",
                timeout=seconds,
                deadline=seconds,
                retries=0,
                circuit_breaker=False,
                service_name=shared_core_settings.SERVICE_NAME,
            )
        except ValueError as e:
            # Not an absolute http(s) URL, or one holding credentials (the system check says so
            # at start-up too); the message of e quotes the URL, so it is not shown.
            raise ServiceUnavailable(f"{self.name} has an invalid health URL") from e
        try:
            client.get(path)
        except ServiceTimeoutError as e:
            raise ServiceUnavailable(f"{self.name} did not answer within {seconds:g} s") from e
        except ServiceConnectionError as e:
            raise ServiceUnavailable(f"{self.name} could not be reached") from e
        except ServiceHTTPError as e:
            raise ServiceUnavailable(f"{self.name} answered HTTP {e.status}") from e
        except ServiceError as e:
            raise ServiceUnavailable(f"{self.name} failed ({type(e).__name__})") from e
        finally:
            client.close()


def readiness_checks() -> list[tuple[type[HealthCheck], dict[str, Any]]]:
    """The checks ``/ready`` runs for the current settings, in the form ``checks=`` takes.

    One database check per ``DATABASES`` alias, the migrations check on the default database
    (like ``runserver``: other aliases may be replicas that are never migrated), one cache check
    per ``CACHES`` alias, the default storage when ``HEALTHCHECK_STORAGE`` is true, and one check
    per entry of ``HEALTHCHECK_DEPENDENCIES``.
    """
    specs: list[tuple[type[HealthCheck], dict[str, Any]]] = []
    specs.extend((Database, {"alias": alias}) for alias in settings.DATABASES)
    if DEFAULT_DB_ALIAS in settings.DATABASES:
        specs.append((MigrationsApplied, {"alias": DEFAULT_DB_ALIAS}))
    specs.extend((Cache, {"alias": alias}) for alias in settings.CACHES)
    if health_settings.HEALTHCHECK_STORAGE:
        specs.append((Storage, {"alias": "default"}))
    for name, url in health_settings.HEALTHCHECK_DEPENDENCIES.items():
        specs.append((DownstreamService, {"name": name, "url": url}))
    return specs
