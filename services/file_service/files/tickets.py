"""The file service's one question to the ticket service: may this user see this ticket?"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from apipatterns.service_calls import get_resource
from shared_core.http import HTTPClient, client_for


def ticket_service() -> HTTPClient:
    """The client for the ticket service (base URL in ``TICKET_SERVICE_URL``)."""
    return client_for("ticket-service")


def visible_ticket(ticket_id: UUID | str, user: Any) -> dict[str, Any] | None:
    """The ticket when it exists, is not deleted and ``user`` may see it; else ``None``.

    The ticket service applies its own visibility rule to the identity passed along (the one the
    user service vouched for when it introspected the caller's session token). Failures other
    than 404 propagate as ``shared_core.http`` errors (502/503/504 problems).
    """
    params = {"for_user": str(user.id), "roles": ",".join(sorted(user.roles))}
    return get_resource(ticket_service(), f"internal/v1/tickets/{ticket_id}", params=params)
