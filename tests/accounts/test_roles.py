"""accounts.roles and accounts.permissions.HasRole for local users, remote users and services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

from accounts.authentication import RemoteUser, ServicePrincipal
from accounts.models import User
from accounts.permissions import HasRole
from accounts.roles import (
    ROLES,
    UnknownRoleError,
    assign_role,
    get_with_roles,
    has_role,
    remove_role,
    roles_of,
)

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


def test_get_with_roles_reads_the_user_and_their_roles_in_one_query(user, other_user):
    assign_role(user, "agent")
    assign_role(user, "admin")
    user.groups.add(Group.objects.create(name="newsletter"))
    with CaptureQueriesContext(connection) as queries:
        loaded = get_with_roles(User.objects.all(), pk=user.pk)
        assert roles_of(loaded) == {"admin", "agent"}
        assert has_role(loaded, "admin") and not has_role(loaded, "customer")
    assert len(queries) == 1
    assert loaded == user and loaded.email == "ann@example.com"
    # No group at all still finds the user (LEFT JOIN), with no roles.
    assert roles_of(get_with_roles(User.objects.all(), pk=other_user.pk)) == frozenset()


def test_get_with_roles_adds_admin_for_a_superuser_and_refuses_like_get(user, other_user):
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    assert roles_of(get_with_roles(User.objects.all(), pk=user.pk)) == {"admin"}
    with pytest.raises(User.DoesNotExist):
        get_with_roles(User.objects.all(), email="nobody@example.com")
    # Two users, one with two groups: still "more than one user", not a duplicate row.
    assign_role(other_user, "agent")
    assign_role(other_user, "customer")
    with pytest.raises(User.MultipleObjectsReturned):
        get_with_roles(User.objects.all(), email__endswith="@example.com")
    assert get_with_roles(User.objects.all(), email="bob@example.com") == other_user


def test_roles_read_with_the_user_follow_assign_and_remove_on_that_instance(user):
    loaded = get_with_roles(User.objects.all(), pk=user.pk)
    assert roles_of(loaded) == frozenset()
    assign_role(loaded, "agent")
    assert roles_of(loaded) == {"agent"}
    loaded = get_with_roles(User.objects.all(), pk=user.pk)
    remove_role(loaded, "agent")
    assert roles_of(loaded) == frozenset()
