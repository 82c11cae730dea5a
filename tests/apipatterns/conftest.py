"""Fixtures for the apipatterns tests: a client on the tests-only URLconf and problem checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id", "errors"}


@pytest.fixture
def client() -> Client:
    """A test client that returns 500 responses instead of re-raising the view's exception."""
    return Client(raise_request_exception=False)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status``/``code``; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["request_id"] and body["request_id"] == response["X-Request-ID"]
    assert b"<html" not in response.content.lower()
    for item in body["errors"]:
        assert {"code", "detail"} <= set(item)
        assert ("pointer" in item) != ("parameter" in item), item
    return body


def envelope(response: Any, status: int = 200) -> dict[str, Any]:
    """Assert ``response`` is a success envelope; return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"data", "meta"}
    assert body["meta"]["request_id"] == response["X-Request-ID"]
    return body
