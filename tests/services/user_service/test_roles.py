"""The user service's role endpoint and the seed_demo command (real database, accounts app)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.roles import roles_of
from accounts.services import create_user
from services.user_service.roles import DEFAULT_DEMO_PASSWORD, DEMO_USERS

pytestmark = [pytest.mark.django_db, pytest.mark.urls("services.user_service.urls")]


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_seed_demo_creates_each_role_once_and_resets_passwords(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    user = get_user_model().objects.get(email="agent@example.com")
    user.set_password("changed-by-someone-123")
    user.save()
    call_command("seed_demo")
    users = get_user_model().objects.filter(email__in=[email for _, email in DEMO_USERS])
    assert users.count() == 3
    for role, email in DEMO_USERS:
        user = users.get(email=email)
        assert role in roles_of(user)
        assert user.check_password(DEFAULT_DEMO_PASSWORD)
    assert users.get(email="admin@example.com").is_staff


def test_admin_grants_and_revokes_a_role():
    call_command("seed_demo")
    admin = get_user_model().objects.get(email="admin@example.com")
    user = create_user("someone@example.com", "Sturdy-Password-123", {})
    path = f"/api/v1/users/{user.pk}/roles"
    response = as_user(admin).post(path, {"role": "agent"}, format="json")
    assert response.status_code == 200, response.content
    assert "agent" in response.json()["data"]["roles"]
    assert as_user(admin).delete(f"{path}/agent").status_code == 204
    assert "agent" not in roles_of(user)
    bad = as_user(admin).post(path, {"role": "superhero"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "#/role"


def test_only_admins_grant_roles():
    user = create_user("plain@example.com", "Sturdy-Password-123", {})
    response = as_user(user).post(f"/api/v1/users/{user.pk}/roles", {"role": "admin"})
    assert response.status_code == 403
    assert "admin" not in roles_of(user)
    assert APIClient().post(f"/api/v1/users/{user.pk}/roles", {"role": "admin"}).status_code == 401


def test_an_admin_deactivates_an_account_which_ends_its_sessions_and_activates_it_again():
    from accounts import services

    call_command("seed_demo")
    admin = get_user_model().objects.get(email="admin@example.com")
    user = create_user("leaving@example.com", "Sturdy-Password-123", {})
    token = services.login(user.email, "Sturdy-Password-123").token
    path = f"/api/v1/users/{user.pk}"
    response = as_user(admin).post(f"{path}/deactivate")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"id": str(user.pk), "is_active": False}
    assert services.verify_session(token) is None
    user.refresh_from_db()
    assert not user.is_active
    assert as_user(admin).post(f"{path}/activate").json()["data"]["is_active"] is True
    assert services.login(user.email, "Sturdy-Password-123").token
    assert as_user(user).post(f"{path}/deactivate").status_code == 403
    assert as_user(admin).post(f"/api/v1/users/{admin.pk}/deactivate").status_code == 403
