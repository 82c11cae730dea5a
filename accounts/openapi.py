"""How the accounts authentication classes appear in OpenAPI (drf-spectacular extensions).

Without these, drf-spectacular cannot describe the classes and documents every operation as
needing no authentication. Loaded by ``AccountsConfig.ready()``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class _SessionTokenScheme(OpenApiAuthenticationExtension):
    name = "sessionToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Session-Token",
            "description": "The session token from POST /api/v1/auth/login "
            "(`Authorization: Bearer <token>` works too).",
        }


class SessionTokenScheme(_SessionTokenScheme):
    """On the identity owner: the session token checked locally."""

    target_class = "accounts.authentication.SessionTokenAuthentication"


class RemoteSessionScheme(_SessionTokenScheme):
    """On services that are not the identity owner: the same token, checked remotely."""

    target_class = "accounts.authentication.RemoteSessionAuthentication"


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """Service-to-service calls: ``Authorization: Bearer <token of the calling service>``."""

    target_class = "accounts.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A calling service's token (one of ACCEPTED_SERVICE_TOKENS).",
        }
