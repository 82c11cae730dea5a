"""Roles: the Django groups ``admin``, ``agent`` and ``customer`` (created by a data migration)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db.models import F, QuerySet

ADMIN = "admin"
AGENT = "agent"
CUSTOMER = "customer"
ROLES = (ADMIN, AGENT, CUSTOMER)
# Not a group: matches a calling service (``HasRole("agent", "service")`` lets both in).
SERVICE = "service"

# Where get_with_roles() leaves a user's role names (read with the user), for roles_of().
_LOADED_ROLES = "_loaded_role_names"
# The annotation get_with_roles() reads each group's name through (one row per group).
_GROUP_NAME = "_role_group_name"


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
    vars(user).pop(_LOADED_ROLES, None)


def remove_role(user: Any, role: str) -> None:
    """Take a role away from a local user (idempotent)."""
    user.groups.remove(*Group.objects.filter(name=_check(role)))
    vars(user).pop(_LOADED_ROLES, None)


def get_with_roles(queryset: QuerySet[Any], **lookup: Any) -> Any:
    """``queryset.get(**lookup)`` for local users, reading the user's role groups in the same
    query (a LEFT JOIN to their groups, one row per group), so :func:`roles_of` on the result
    makes no query of its own: one round trip instead of two for "a user and their roles".

    Raises the model's ``DoesNotExist`` or ``MultipleObjectsReturned`` as ``get`` does. The roles
    are those of the moment of the query; :func:`assign_role` and :func:`remove_role` on the
    returned instance make :func:`roles_of` read them again.
    """
    model = queryset.model
    rows = list(queryset.filter(**lookup).order_by().annotate(**{_GROUP_NAME: F("groups__name")}))
    if not rows:
        raise model.DoesNotExist(f"{model.__name__} matching query does not exist.")
    user = rows[0]
    if any(row.pk != user.pk for row in rows):
        raise model.MultipleObjectsReturned(
            f"get_with_roles() returned more than one {model.__name__}."
        )
    names = frozenset(getattr(row, _GROUP_NAME) for row in rows)
    delattr(user, _GROUP_NAME)
    setattr(user, _LOADED_ROLES, names.intersection(ROLES))
    return user


def roles_of(user: Any) -> frozenset[str]:
    """Role names of any principal.

    A local user's roles are their role groups (a superuser is also ``admin``), read with the
    user by :func:`get_with_roles` or else queried here; a remote user or a service
    (``accounts.authentication``) carries its roles in ``.roles``.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if not hasattr(user, "groups"):
        return frozenset(getattr(user, "roles", ()))
    loaded = getattr(user, _LOADED_ROLES, None)
    if loaded is not None:
        names = set(loaded)
    else:
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
