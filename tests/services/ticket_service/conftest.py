"""Fixtures of the ticket service's tests: API clients acting as end users or as a service."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.authentication import RemoteUser, ServicePrincipal


def remote_user(*roles: str) -> RemoteUser:
    """An end user as RemoteSessionAuthentication builds it from the user service's answer."""
    return RemoteUser(
        id=str(uuid.uuid4()), email=f"{uuid.uuid4().hex[:6]}@example.com", roles=frozenset(roles)
    )


def client_as(principal) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=principal)
    return client


@pytest.fixture
def customer() -> RemoteUser:
    return remote_user("customer")


@pytest.fixture
def agent() -> RemoteUser:
    return remote_user("agent")


@pytest.fixture
def file_service() -> APIClient:
    return client_as(ServicePrincipal(name="file-service"))
