"""allauth's headless API mounted under /_allauth/app/v1/, answered in our envelope."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.http import JsonResponse

from accounts import headless
from accounts import sessions as session_rules
from tests.accounts.conftest import PASSWORD, auth, login_token

pytestmark = pytest.mark.django_db

BASE = "/_allauth/app/v1"
PROBLEM = "application/problem+json"


def headless_login(api, email="ann@example.com", password=PASSWORD):
    return api.post(f"{BASE}/auth/login", {"email": email, "password": password}, format="json")


def test_headless_login_answers_our_envelope_with_a_session_token(api, user):
    response = headless_login(api)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"data", "meta"}
    assert body["data"]["user"]["email"] == "ann@example.com"
    assert body["meta"]["request_id"]
    assert body["meta"]["is_authenticated"] is True
    assert body["meta"]["session_token"]


def test_a_headless_token_works_on_our_api_and_ours_on_headless(api, user):
    headless_token = headless_login(api).json()["meta"]["session_token"]
    assert api.get("/api/v1/auth/session", **auth(headless_token)).status_code == 200
    our_token = login_token(api, "ann@example.com")
    response = api.get(f"{BASE}/auth/session", **auth(our_token))
    assert response.status_code == 200, response.content
    assert response.json()["data"]["user"]["email"] == "ann@example.com"


def test_a_wrong_password_is_a_problem_with_allauths_code(api, user):
    response = headless_login(api, password="not the password")
    assert response.status_code == 400
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "email_password_mismatch"
    assert body["request_id"]
    assert body["errors"][0]["pointer"] == "#/password"


def test_a_missing_field_points_at_it(api):
    response = api.post(f"{BASE}/auth/login", {"password": "x"}, format="json")
    assert response.status_code == 400
    assert {"code": "required", "pointer": "#/email"}.items() <= response.json()["errors"][
        0
    ].items()


def test_not_logged_in_is_a_401_problem_listing_the_login_flows(api):
    response = api.get(f"{BASE}/auth/session")
    assert response.status_code == 401
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert {"id": "login"} in body["flows"]


def test_an_unknown_token_is_a_410_invalid_session_problem(api):
    response = api.get(f"{BASE}/auth/session", **auth("a" * 32))
    assert response.status_code == 410
    assert response.json()["code"] == "invalid_session"


def test_headless_sessions_keep_our_timeouts(api, user, settings):
    token = headless_login(api).json()["meta"]["session_token"]
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=token)
    assert session_rules.is_api_session(store)
    store[session_rules.SEEN_AT_KEY] -= settings.SESSION_IDLE_TIMEOUT + 1
    store.save()
    assert api.get(f"{BASE}/auth/session", **auth(token)).status_code == 410
    assert api.get("/api/v1/auth/session", **auth(token)).status_code == 401


def test_headless_logout_ends_the_session_for_our_api_too(api, user):
    token = login_token(api, "ann@example.com")
    response = api.delete(f"{BASE}/auth/session", **auth(token))
    assert response.status_code == 401  # allauth's answer after a logout: not authenticated
    assert api.get("/api/v1/auth/session", **auth(token)).status_code == 401


def test_headless_login_counts_against_the_lockout(api, user):
    for _ in range(5):
        assert headless_login(api, password="wrong").status_code == 400
    response = headless_login(api)
    assert response.status_code in (400, 429)
    assert response["Content-Type"].startswith(PROBLEM)
    assert (
        api.post(
            "/api/v1/auth/login", {"email": "ann@example.com", "password": PASSWORD}, format="json"
        ).status_code
        == 429
    )


def test_responses_that_are_not_allauth_json_pass_through():
    response = JsonResponse([1, 2], safe=False)
    assert headless.to_envelope(response) is response
    assert headless.to_envelope(JsonResponse({"data": 1})) is not None


@pytest.mark.parametrize(
    "path",
    ["/auth/signup", "/auth/password/request", "/auth/password/reset", "/account/password/change"],
)
def test_allauth_endpoints_that_would_weaken_our_guarantees_are_not_served(api, path):
    # e.g. allauth's signup answers "email_taken" for a registered email (enumeration)
    assert api.post(f"{BASE}{path}", {}, format="json").status_code == 404


def test_every_served_name_exists_in_allauths_headless_urls():
    from django.urls import URLResolver

    def names(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from names(entry.url_patterns)
            else:
                yield entry.name

    assert set(names(headless.headless_urlpatterns())) == headless.SERVED
