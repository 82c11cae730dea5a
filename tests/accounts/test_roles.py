"""accounts.roles and accounts.permissions.HasRole for local users, remote users and services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from rest_framework.test import APIRequestFactory

from accounts.authentication import RemoteUser, ServicePrincipal
from accounts.permissions import HasRole
from accounts.roles import ROLES, UnknownRoleError, assign_role, has_role, remove_role, roles_of

pytestmark = pytest.mark.django_db


def test_the_data_migration_created_the_role_groups():
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)


def test_assign_and_remove_roles(user):
    assert not has_role(user, "agent")
    assign_role(user, "agent")
    assign_role(user, "agent")
    assert has_role(user, "agent") and roles_of(user) == {"agent"}
    remove_role(user, "agent")
    assert not has_role(user, "agent")
    with pytest.raises(UnknownRoleError):
        assign_role(user, "wizard")


def test_superuser_is_admin(user):
    user.is_superuser = True
    assert has_role(user, "admin")


def check(permission, principal):
    request = APIRequestFactory().get("/")
    request.user = principal
    return permission().has_permission(request, None)


def test_has_role_for_every_kind_of_principal(user):
    assign_role(user, "agent")
    agents = HasRole("agent")
    assert check(agents, user)
    assert check(agents, RemoteUser(id="1", roles=frozenset({"agent"})))
    assert not check(agents, RemoteUser(id="2", roles=frozenset({"customer"})))
    assert not check(agents, ServicePrincipal("ticket-service"))
    assert check(HasRole("agent", "service"), ServicePrincipal("ticket-service"))
    assert not check(agents, AnonymousUser())
    with pytest.raises(ValueError):
        HasRole("wizard")
