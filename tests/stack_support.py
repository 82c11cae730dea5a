"""Starting the demo stack for stack-level tests (fuzzing, faults), as the e2e tests do.

With ``DATABASE_URL`` naming PostgreSQL (the PostgreSQL pass of ``scripts/test``) each service gets
a fresh database ``<db>_<prefix>_<service>`` and ``CACHE_URL`` is passed on; otherwise SQLite
files in the data directory and local-memory caches. ``database_urls``/``cache_url`` override that
(the fault tests point the stack at their own private servers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from services.runner import SERVICES, ServiceSpec, Stack, free_ports
from tests.conftest import require_service

#: Short client settings so failures show within seconds (the services read them from env).
FAST_CLIENT_ENV = {
    "HTTP_CLIENT_DEADLINE": "4",
    "HTTP_CLIENT_CONNECT_TIMEOUT": "1",
    "HTTP_CLIENT_READ_TIMEOUT": "2",
    "HTTP_CLIENT_RETRIES": "1",
    "HTTP_CLIENT_BACKOFF_FACTOR": "0.1",
    "HTTP_CLIENT_BACKOFF_MAX": "0.5",
    "HTTP_CLIENT_BREAKER_RESET": "2",
    "HEALTHCHECK_TIMEOUT": "1",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",
}


def recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=10
    ) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def shared_postgres_urls(
    prefix: str, services: tuple[ServiceSpec, ...] = SERVICES
) -> dict[str, str] | None:
    """Per-service database URLs on the run's PostgreSQL, or ``None`` on the SQLite pass."""
    base = os.environ.get("DATABASE_URL", "")
    if urlsplit(base).scheme not in ("postgres", "postgresql", "pgsql"):
        return None
    require_service("PostgreSQL", base)
    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'suite'}_{prefix}"
    return {spec.name: urlunsplit(parts._replace(path=f"/{name}_{spec.slug}")) for spec in services}


class SettingsStack(Stack):
    """A stack whose services may run with other settings modules (``{service: module}``)."""

    def __init__(
        self,
        *args: object,
        settings_modules: Mapping[str, str],
        env_overrides: Mapping[str, Mapping[str, str]],
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.settings_modules = dict(settings_modules)
        self.env_overrides = {name: dict(values) for name, values in env_overrides.items()}

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        env = super().service_env(spec)
        if spec.name in self.settings_modules:
            env["DJANGO_SETTINGS_MODULE"] = self.settings_modules[spec.name]
        env.update(self.env_overrides.get(spec.name, {}))
        return env


@contextmanager
def start_stack(
    data_dir: Path,
    *,
    database_prefix: str,
    extra_env: Mapping[str, str] | None = None,
    database_urls: Mapping[str, str] | None = None,
    cache_url: str | None = None,
    threads: int = 4,
    settings_modules: Mapping[str, str] | None = None,
    env_overrides: Mapping[str, Mapping[str, str]] | None = None,
    services: tuple[ServiceSpec, ...] | None = None,
) -> Iterator[Stack]:
    """Migrate, seed and run the services (default: the three of the topology); stop them on
    the way out. ``services`` is another topology, e.g. with a service from ``startservice``."""
    services = SERVICES if services is None else tuple(services)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(FAST_CLIENT_ENV)
    env.update(extra_env or {})
    databases = (
        dict(database_urls) if database_urls else shared_postgres_urls(database_prefix, services)
    )
    if databases:
        for spec in services:
            recreate_postgres_database(databases[spec.name])
            env[f"{spec.env_prefix}_DATABASE_URL"] = databases[spec.name]
    cache = cache_url or (os.environ.get("CACHE_URL") if databases else None)
    if cache:
        env["CACHE_URL"] = cache
    ports = dict(zip((spec.name for spec in services), free_ports(len(services)), strict=True))
    stack = SettingsStack(
        settings_modules=settings_modules or {},
        env_overrides=env_overrides or {},
        ports=ports,
        data_dir=data_dir,
        env=env,
        log_dir=data_dir / "logs",
        output=open(os.devnull, "w"),  # noqa: SIM115 - lives as long as the stack
        threads=threads,
        services=services,
    )
    with stack.running_stack():
        yield stack
