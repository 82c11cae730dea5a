"""Helpers for the settings of a service built on ``settings.base`` (the demo services use them).

Each service has its own name (log lines, User-Agent, cache key prefix) and its own database,
so the parts of ``settings.base`` that depend on them are recomputed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from settings.base import BASE_DIR, env
from shared_core.cache import fail_safe


def service_database(slug: str) -> dict[str, dict[str, Any]]:
    """``DATABASES`` for one service: ``DATABASE_URL`` when set, else ``var/<slug>.sqlite3``.

    SQLite gets WAL mode, ``BEGIN IMMEDIATE`` and a busy timeout, because a threaded server
    writing to one file otherwise fails with "database is locked" under concurrent requests.
    """
    # An empty DATABASE_URL counts as unset (a blank line copied from .env.example).
    url = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'var' / f'{slug}.sqlite3'}"
    config: dict[str, Any] = env.db_url_config(url)
    config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3" and config["NAME"] != ":memory:":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    return {"default": config}


def service_caches(service_name: str) -> dict[str, dict[str, Any]]:
    """``CACHES`` from ``CACHE_URL``: ``default`` prefixed by the service name, ``identity`` shared.

    The services may share one Redis database; the prefix keeps their own keys (throttle
    counters) apart. ``identity`` (cached introspections and revocation markers, see
    ``accounts.revocation``) has one prefix for all services, so the user service's revocations
    reach every consumer through it.
    """
    config: dict[str, Any] = env.cache_url_config(
        env.str("CACHE_URL", default="") or "locmemcache://"
    )
    identity = {**config, "KEY_PREFIX": "identity"}
    if config.get("BACKEND", "").endswith("LocMemCache"):
        identity["LOCATION"] = "identity"
    config.setdefault("KEY_PREFIX", service_name)
    # Redis outages degrade instead of raising: shared_core/cache.py.
    return {"default": fail_safe(config), "identity": fail_safe(identity)}


def consumer_rest_framework(rest_framework: dict[str, Any]) -> dict[str, Any]:
    """``REST_FRAMEWORK`` for a service that is not the identity owner.

    A calling service's token is checked first (cheap, local), then the end user's session token
    through the identity service (one cached introspection call); every view needs one of them.
    """
    return {
        **rest_framework,
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "accounts.authentication.ServiceTokenAuthentication",
            "accounts.authentication.RemoteSessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }


def consumer_installed_apps(installed_apps: list[str]) -> list[str]:
    """``INSTALLED_APPS`` of a service that is not the identity owner: the admin without the
    user service's models (users, roles, sessions, social accounts; ``accounts.admin_site``)."""
    return [
        "accounts.admin_site.ConsumerAdminConfig" if app == "django.contrib.admin" else app
        for app in installed_apps
    ]
