"""The accounts HTTP API: shapes, headers, validation errors, pagination and filters."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import assign_role
from tests.accounts.conftest import PASSWORD, auth, login_token, service_auth

pytestmark = pytest.mark.django_db


def test_signup_then_login_then_who_am_i(api):
    response = api.post(
        "/api/v1/auth/signup",
        {"email": "New@Example.com", "password": PASSWORD, "display_name": "Newbie"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["data"]["email"] == "new@example.com"
    login = api.post(
        "/api/v1/auth/login", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200
    data = login.json()["data"]
    assert set(data) == {"token", "expires_at", "user"}
    assert data["user"]["display_name"] == "Newbie"
    assert "password" not in login.content.decode()
    assert "sessionid" not in login.cookies  # the token never doubles as a cookie
    me = api.get("/api/v1/auth/session", **auth(data["token"]))
    assert me.status_code == 200
    assert me.json()["data"]["user"]["email"] == "new@example.com"


def test_bearer_header_works_like_x_session_token(api, user):
    token = login_token(api, "ann@example.com")
    response = api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["data"]["id"] == str(user.pk)


def test_signup_validation_errors_point_at_fields(api):
    response = api.post("/api/v1/auth/signup", {"email": "nope", "password": "123"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    pointers = {error["pointer"] for error in body["errors"]}
    assert "#/email" in pointers


def test_login_needs_both_fields(api):
    response = api.post("/api/v1/auth/login", {"email": "ann@example.com"}, format="json")
    assert response.status_code == 400
    assert any(e.get("pointer") == "#/password" for e in response.json()["errors"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/auth/session"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/password/change"),
        ("get", "/api/v1/users/me"),
        ("patch", "/api/v1/users/me"),
    ],
)
def test_protected_endpoints_need_a_session(api, method, path):
    assert getattr(api, method)(path).status_code == 401
    response = getattr(api, method)(path, **auth("0" * 32))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_session"


def test_services_cannot_use_user_only_endpoints(api):
    assert api.get("/api/v1/users/me", **service_auth()).status_code in (401, 403)


def test_patch_me_changes_the_profile_and_refuses_other_fields(api, user):
    token = login_token(api, "ann@example.com")
    response = api.patch(
        "/api/v1/users/me",
        {"display_name": "A.", "timezone": "Europe/Berlin"},
        format="json",
        **auth(token),
    )
    assert response.status_code == 200
    assert response.json()["data"]["timezone"] == "Europe/Berlin"
    response = api.patch("/api/v1/users/me", {"is_staff": True}, format="json", **auth(token))
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/is_staff"
    user.refresh_from_db()
    assert not user.is_staff


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"display_name": "bad\ud800name"}, "#/display_name"),
        ({"display_name": "nul\x00byte"}, "#/display_name"),
        ({"first_name": None}, "#/first_name"),
        ({"last_name": ["a", "b"]}, "#/last_name"),
        ({"display_name": True}, "#/display_name"),
        ({"first_name": {"x": 1}}, "#/first_name"),
        ({"timezone": "Mars/Olympus"}, "#/timezone"),
        ({"display_name": "x" * 151}, "#/display_name"),
    ],
)
def test_patch_me_refuses_values_that_are_not_clean_strings(api, user, body, pointer):
    token = login_token(api, "ann@example.com")
    before = api.get("/api/v1/users/me", **auth(token)).json()["data"]
    # json.dumps escapes a lone surrogate as \\ud800, as a hostile client would send it.
    raw = json.dumps(body)
    response = api.patch("/api/v1/users/me", raw, content_type="application/json", **auth(token))
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert [error["pointer"] for error in problem["errors"]] == [pointer]
    assert api.get("/api/v1/users/me", **auth(token)).json()["data"] == before


def test_patch_me_names_every_bad_field_at_once(api, user):
    token = login_token(api, "ann@example.com")
    response = api.patch(
        "/api/v1/users/me",
        {"first_name": None, "display_name": [1], "is_staff": True},
        format="json",
        **auth(token),
    )
    assert response.status_code == 400
    pointers = sorted(error["pointer"] for error in response.json()["errors"])
    assert pointers == ["#/is_staff"] or pointers == ["#/display_name", "#/first_name"]


def test_patch_me_body_must_be_an_object(api, user):
    token = login_token(api, "ann@example.com")
    response = api.patch("/api/v1/users/me", ["display_name"], format="json", **auth(token))
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_update_user_refuses_non_strings_from_python_callers(user):
    from rest_framework.exceptions import ValidationError

    from accounts import services

    for value in (None, ["x"], True, "nul\x00", "\udfff"):
        with pytest.raises(ValidationError) as caught:
            services.update_user(user.pk, {"display_name": value})
        assert "display_name" in caught.value.detail


def test_admin_may_patch_another_user(api, user, admin_user):
    admin = login_token(api, "root@example.com")
    response = api.patch(
        f"/api/v1/users/{user.pk}", {"first_name": "Annabel"}, format="json", **auth(admin)
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Annabel"


def test_user_list_is_paginated_and_filters_by_email_and_role(api, user, other_user, admin_user):
    assign_role(other_user, "agent")
    response = api.get("/api/v1/users", {"per_page": 2}, **service_auth())
    assert response.status_code == 200
    body = response.json()
    assert len(body["data"]) == 2
    assert body["meta"]["pagination"]["total"] == 3
    by_role = api.get("/api/v1/users", {"role": "agent"}, **service_auth()).json()["data"]
    assert [u["email"] for u in by_role] == ["bob@example.com"]
    assert by_role[0]["roles"] == ["agent"]
    by_email = api.get("/api/v1/users", {"email": "ANN@example.com"}, **service_auth()).json()
    assert [u["email"] for u in by_email["data"]] == ["ann@example.com"]
    bad = api.get("/api/v1/users", {"role": "wizard"}, **service_auth())
    assert bad.status_code == 400


def test_user_list_query_errors_name_the_parameter_not_a_body_pointer(api, user):
    response = api.get("/api/v1/users", {"role": "wizard", "email": "x" * 300}, **service_auth())
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert sorted(item["parameter"] for item in body["errors"]) == ["email", "role"]
    assert not any("pointer" in item for item in body["errors"])


def test_user_list_names_every_bad_page_parameter(api, user):
    response = api.get("/api/v1/users", {"page": "abc", "per_page": "-5"}, **service_auth())
    assert response.status_code == 400
    assert [e["parameter"] for e in response.json()["errors"]] == ["page", "per_page"]


def test_unknown_user_id_is_404(api, admin_user):
    admin = login_token(api, "root@example.com")
    response = api.get("/api/v1/users/00000000000000000000000000000000", **auth(admin))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_introspection_validates_its_body(api):
    response = api.post("/internal/v1/introspect", {}, format="json", **service_auth())
    assert response.status_code == 400
    response = api.post(
        "/internal/v1/introspect", {"token": "not-a-session"}, format="json", **service_auth()
    )
    assert response.json()["data"] == {"active": False, "user": None, "expires_at": None}


def test_password_reset_with_malformed_email_is_a_validation_error(api):
    response = api.post("/api/v1/auth/password/reset", {"email": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["pointer"] == "#/email"


def test_password_reset_requests_are_rate_limited_per_email(api, user):
    statuses = [
        api.post(
            "/api/v1/auth/password/reset", {"email": "ann@example.com"}, format="json"
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [202] * 5 + [429]


def test_the_introspection_quota_is_per_end_client_not_per_calling_service(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}),
            "introspect": "2/min",
            "user": "1/min",  # the per-caller rate does not apply to introspection
        },
    }

    def introspect(client_ip):
        body = {"token": "z" * 32, "client_ip": client_ip}
        return api.post("/internal/v1/introspect", body, format="json", **service_auth())

    assert [introspect("198.51.100.1").status_code for _ in range(3)] == [200, 200, 429]
    assert introspect("198.51.100.2").status_code == 200
    assert introspect("not-an-address").status_code == 400


def test_a_service_reads_a_user_and_their_roles_in_one_query(api, user):
    assign_role(user, "agent")
    assign_role(user, "customer")
    user.groups.add(Group.objects.create(name="newsletter"))  # not a role: not listed
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/users/{user.pk}", **service_auth())
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["id"] == str(user.pk) and data["email"] == "ann@example.com"
    assert data["roles"] == ["agent", "customer"]
    assert len(queries) == 1, [query["sql"] for query in queries]
