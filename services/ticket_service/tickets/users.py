"""Questions the ticket service asks the user service (over HTTP, with its service token)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings

from shared_core.clients import HTTPClient
from shared_core.service_clients import client_for, get_resource


def user_service() -> HTTPClient:
    """The client for the user service at ``IDENTITY_SERVICE_URL``."""
    return client_for(settings.IDENTITY_SERVICE_URL)


def fetch_user(user_id: UUID | str) -> dict[str, Any] | None:
    """The user service's record of a user, or ``None`` when it has no such (active) user.

    Any other failure (user service down, slow, answering 5xx) propagates as a
    ``shared_core.clients`` error, which apipatterns turns into a 502/503/504 problem.
    """
    return get_resource(user_service(), f"api/v1/users/{user_id}")


def user_roles(record: dict[str, Any]) -> set[str]:
    """The role names in a user record (a list of names, or of ``{"name": …}`` objects)."""
    roles = record.get("roles") or []
    return {role["name"] if isinstance(role, dict) else str(role) for role in roles}
