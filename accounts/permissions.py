"""DRF permissions on roles, for local users, remote users and services alike."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.roles import ROLES, SERVICE, has_role


class HasRole(BasePermission):
    """Allow principals with any of the given roles: ``permission_classes = [HasRole("agent")]``.

    ``"service"`` matches a calling service. DRF instantiates permission classes itself, so an
    instance returns itself when called.
    """

    message = "You do not have the role this action needs."
    code = "permission_denied"

    def __init__(self, *roles: str) -> None:
        unknown = [r for r in roles if r not in (*ROLES, SERVICE)]
        if not roles or unknown:
            raise ValueError(f"HasRole needs role names from {(*ROLES, SERVICE)}, got {roles!r}")
        self.roles = roles

    def __call__(self) -> HasRole:
        return self

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        return any(has_role(user, role) for role in self.roles)


class IsService(BasePermission):
    """Only calling services (``ServiceTokenAuthentication``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_service", False))


class IsLocalUser(BasePermission):
    """An authenticated end user of this service (not a service, not a remote user)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        from accounts.models import User

        return isinstance(request.user, User) and request.user.is_authenticated


class IsEndUser(BasePermission):
    """An authenticated end user, local or remote (``RemoteSessionAuthentication``); no service.

    The public API of a service that is not the identity owner: every end user may call it,
    whatever their roles, while calling services use their own (internal) endpoints.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            getattr(user, "is_authenticated", False) and not getattr(user, "is_service", False)
        )
