"""Who may call what: end users on ``/api/v1``, services on ``/internal/v1``."""

from __future__ import annotations

from collections.abc import Iterable

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

#: Roles that see and manage every ticket.
STAFF_ROLES = frozenset({"agent", "admin"})


def is_staff_user(roles: Iterable[str]) -> bool:
    """Agents and admins see every ticket; customers only their own."""
    return not STAFF_ROLES.isdisjoint(roles)


class IsEndUser(BasePermission):
    """An authenticated end user (a session token), not a service."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and not getattr(user, "is_service", False))


class IsService(BasePermission):
    """Another service, authenticated with its service token."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_service", False))
