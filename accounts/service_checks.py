"""System check for a service that asks the identity service about its users.

- ``accounts.E010``: DRF authenticates end users with
  :class:`~accounts.authentication.RemoteSessionAuthentication` (the service is a consumer of
  the identity service), but ``SERVICE_AUTH_TOKEN`` is empty: every introspection would be
  refused, so every user would be turned away. Registered in ``AccountsConfig.ready()``; it
  runs on ``manage.py check``, ``migrate`` and ``runserver``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core import checks


def check_service_auth_token(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``accounts.E010`` when a consumer service has no ``SERVICE_AUTH_TOKEN``."""
    from rest_framework.settings import api_settings

    from accounts.authentication import RemoteSessionAuthentication

    consumer = any(
        isinstance(cls, type) and issubclass(cls, RemoteSessionAuthentication)
        for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
    )
    if not consumer or str(getattr(settings, "SERVICE_AUTH_TOKEN", "") or "").strip():
        return []
    return [
        checks.Error(
            "SERVICE_AUTH_TOKEN is empty, but this service asks the identity service "
            "(IDENTITY_SERVICE_URL) about its users with it (RemoteSessionAuthentication): "
            "every session token would be refused.",
            hint=(
                "Add SERVICE_AUTH_TOKEN=<token> to this service's environment (or "
                "SERVICE_AUTH_TOKEN_FILE=/run/secrets/service_auth_token), and the same token "
                "to the identity service's ACCEPTED_SERVICE_TOKENS as <this service's name>="
                "<token> (python -m django generate_service_token makes one)."
            ),
            id="accounts.E010",
        )
    ]
