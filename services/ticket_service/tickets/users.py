"""Questions the ticket service asks the user service (over HTTP, with its service token)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from apipatterns.service_calls import get_resource
from shared_core.http import HTTPClient, client_for


def user_service() -> HTTPClient:
    """The client for the user service (base URL in ``IDENTITY_SERVICE_URL``)."""
    return client_for("user-service")


def fetch_user(user_id: UUID | str) -> dict[str, Any] | None:
    """The user service's record of a user, or ``None`` when it has no such (active) user.

    Any other failure (user service down, slow, answering 5xx) propagates as a
    ``shared_core.http`` error, which apipatterns turns into a 502/503/504 problem.
    """
    return get_resource(user_service(), f"api/v1/users/{user_id}")


def user_roles(record: dict[str, Any]) -> set[str]:
    """The role names in a user record (a list of names, or of ``{"name": …}`` objects)."""
    roles = record.get("roles") or []
    return {role["name"] if isinstance(role, dict) else str(role) for role in roles}
