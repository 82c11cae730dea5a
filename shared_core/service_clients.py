"""One shared :class:`~shared_core.clients.HTTPClient` per downstream service, per process.

A client owns a pooled, thread-safe session: making one per request would open a new connection
(and a fresh circuit breaker) every time. Views ask for the client of a base URL held in a
setting, so ``override_settings`` still picks a different one in tests.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from shared_core.clients import HTTPClient


@lru_cache(maxsize=32)
def _client(base_url: str, service_name: str) -> HTTPClient:
    return HTTPClient(base_url, service_name=service_name)


def client_for(base_url: str) -> HTTPClient:
    """The process-wide client for ``base_url`` (created on first use, then reused).

    Timeouts, retries, deadline and breaker come from the ``HTTP_CLIENT_*`` settings; the token is
    ``SERVICE_AUTH_TOKEN``, read at call time.
    """
    return _client(base_url.rstrip("/") + "/", settings.SERVICE_NAME)


def clear_clients() -> None:
    """Forget every cached client (tests that change the ``HTTP_CLIENT_*`` settings)."""
    _client.cache_clear()
