"""One shared :class:`~shared_core.http.HTTPClient` per downstream service, per process.

A client owns a pooled, thread-safe session and reports to its host's circuit breaker: making one
per request would open a new connection every time. Code asks for a service by its name in the
topology (``client_for("user-service")``); the base URL is read, at every lookup, from the Django
setting that ``SERVICE_URL_SETTINGS`` names for it (the topology's ``url_env``), so
``override_settings`` of that URL picks another client in tests.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from shared_core.conf import shared_core_settings
from shared_core.http.client import HTTPClient

__all__ = ["clear_clients", "client_for", "service_url"]

_clients: dict[tuple[Hashable, ...], HTTPClient] = {}
_lock = threading.Lock()


def service_url(service: str) -> str:
    """The base URL of ``service``: the value of the setting ``SERVICE_URL_SETTINGS`` names."""
    setting = shared_core_settings.SERVICE_URL_SETTINGS.get(service)
    if setting is None:
        raise ImproperlyConfigured(
            f"No base URL for the service {service!r}: add "
            f"SERVICE_URL_SETTINGS = {{{service!r}: '<SETTING_NAME>', ...}} to the settings"
        )
    # The one read of a setting by a name the project chooses (no default is possible for it).
    url = getattr(settings, setting, None)
    if not url:
        raise ImproperlyConfigured(
            f"{setting} (the base URL of {service!r}, per SERVICE_URL_SETTINGS) is not set"
        )
    return str(url)


def client_for(service: str, *, base_url: str | None = None, **options: Any) -> HTTPClient:
    """The process-wide client of ``service`` (created on first use, then reused).

    ``base_url`` defaults to :func:`service_url`. ``options`` are :class:`HTTPClient` keyword
    arguments (hashable values) that this caller's client keeps, e.g. a shorter ``deadline``;
    everything not given comes from the ``HTTP_CLIENT_*`` settings, and the token is
    ``SERVICE_AUTH_TOKEN``, read at call time. One client per service, URL, this service's
    ``SERVICE_NAME`` and options.
    """
    url = (base_url if base_url is not None else service_url(service)).rstrip("/") + "/"
    key = (service, url, shared_core_settings.SERVICE_NAME, *sorted(options.items()))
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = HTTPClient(url, service_name=key[2], **options)
                _clients[key] = client
    return client


def clear_clients() -> None:
    """Close and forget every shared client (tests that change the ``HTTP_CLIENT_*`` settings)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
