"""One shared :class:`~shared_core.clients.HTTPClient` per downstream service, per process.

A client owns a pooled, thread-safe session: making one per request would open a new connection
(and a fresh circuit breaker) every time. Views ask for the client of a base URL held in a
setting, so ``override_settings`` still picks a different one in tests.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from shared_core.clients import HTTPClient, ServiceHTTPError
from shared_core.conf import shared_core_settings


@lru_cache(maxsize=32)
def _client(base_url: str, service_name: str) -> HTTPClient:
    return HTTPClient(base_url, service_name=service_name)


def client_for(base_url: str) -> HTTPClient:
    """The process-wide client for ``base_url`` (created on first use, then reused).

    Timeouts, retries, deadline and breaker come from the ``HTTP_CLIENT_*`` settings; the token is
    ``SERVICE_AUTH_TOKEN``, read at call time.
    """
    return _client(base_url.rstrip("/") + "/", shared_core_settings.SERVICE_NAME)


def clear_clients() -> None:
    """Forget every cached client (tests that change the ``HTTP_CLIENT_*`` settings)."""
    _client.cache_clear()


def get_resource(client: HTTPClient, path: str, **kwargs: Any) -> dict[str, Any] | None:
    """GET one resource from another service: the envelope's ``data`` object (or the bare JSON
    object), or ``None`` when the service answers 404.

    Any other failure (down, slow, 5xx, not JSON) raises the ``shared_core.clients`` errors,
    which apipatterns turns into 502/503/504 problems.
    """
    try:
        body = client.get_json(path, **kwargs)
    except ServiceHTTPError as exc:
        if exc.status == 404:
            return None
        raise
    data = body.get("data", body) if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None
