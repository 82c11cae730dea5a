"""Fixtures of the accounts tests: users, an API client, service tokens, the reset email."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from accounts import services

PASSWORD = "correct-Horse-battery-9"
NEW_PASSWORD = "another-Staple-paper-42"
SERVICE_TOKEN = "svc-" + "a1" * 20


@pytest.fixture(autouse=True)
def _accounts_urls(settings):
    settings.ROOT_URLCONF = "tests.accounts.urls"
    settings.ACCEPTED_SERVICE_TOKENS = {"ticket-service": SERVICE_TOKEN}


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return services.create_user("ann@example.com", PASSWORD, {"first_name": "Ann"})


@pytest.fixture
def other_user(db):
    return services.create_user("bob@example.com", PASSWORD, {"first_name": "Bob"})


@pytest.fixture
def admin_user(db):
    from accounts.roles import assign_role

    admin = services.create_user("root@example.com", PASSWORD)
    assign_role(admin, "admin")
    return admin


def login_token(api: APIClient, email: str, password: str = PASSWORD) -> str:
    response = api.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]["token"]


def auth(token: str) -> dict[str, str]:
    return {"HTTP_X_SESSION_TOKEN": token}


def service_auth(token: str = SERVICE_TOKEN) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def reset_token_from_outbox(email: str) -> str:
    """The token of the latest reset email sent to ``email`` (it is only ever in the email)."""
    for message in reversed(mail.outbox):
        if email in message.to and "/password/reset/" in message.body:
            match = re.search(r"/password/reset/([0-9a-f]{32}-[0-9a-z]+-[0-9a-f]+)", message.body)
            assert match, message.body
            return match.group(1)
    raise AssertionError(f"no reset email to {email}: {[m.subject for m in mail.outbox]}")
