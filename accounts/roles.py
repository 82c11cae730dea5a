"""Roles: the Django groups ``admin``, ``agent`` and ``customer`` (created by a data migration)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

ADMIN = "admin"
AGENT = "agent"
CUSTOMER = "customer"
ROLES = (ADMIN, AGENT, CUSTOMER)
# Not a group: matches a calling service (``HasRole("agent", "service")`` lets both in).
SERVICE = "service"


class UnknownRoleError(ValueError):
    """The role name is not one of ``ROLES``."""


def _check(role: str) -> str:
    if role not in ROLES:
        raise UnknownRoleError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    return role


def assign_role(user: Any, role: str) -> None:
    """Give a local user a role (adds them to the role's group; idempotent)."""
    group, _ = Group.objects.get_or_create(name=_check(role))
    user.groups.add(group)


def remove_role(user: Any, role: str) -> None:
    """Take a role away from a local user (idempotent)."""
    user.groups.remove(*Group.objects.filter(name=_check(role)))


def roles_of(user: Any) -> frozenset[str]:
    """Role names of any principal.

    A local user's roles are their role groups (a superuser is also ``admin``); a remote user or
    a service (``accounts.authentication``) carries its roles in ``.roles``.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if not hasattr(user, "groups"):
        return frozenset(getattr(user, "roles", ()))
    # .all() so a prefetch_related("groups") on a list of users is used.
    names = {group.name for group in user.groups.all() if group.name in ROLES}
    if getattr(user, "is_superuser", False):
        names.add(ADMIN)
    return frozenset(names)


def has_role(user: Any, role: str) -> bool:
    """Whether a local user, a remote user or a service has ``role``.

    ``role`` may also be ``"service"``: true for an authenticated calling service.
    """
    if role == SERVICE:
        return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_service", False))
    return _check(role) in roles_of(user)
