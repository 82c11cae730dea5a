"""The 13 security rules of the accounts issue, each proved over HTTP on the real stack.

Real session store, real allauth flows and rate limits (on the configured cache), locmem email.
Time is never waited for: a test that needs an old session or reset token ages the stored data
or the token's timestamp instead.
"""

from __future__ import annotations

import time
from importlib import import_module

import pytest
from django.conf import settings
from django.core import mail

from accounts import services
from accounts import sessions as session_rules
from accounts.models import User
from accounts.tokens import PasswordResetTokenGenerator
from tests.accounts.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    auth,
    login_token,
    reset_token_from_outbox,
    service_auth,
)

pytestmark = pytest.mark.django_db


def introspect(api, token):
    response = api.post(
        "/internal/v1/introspect", {"token": token}, format="json", **service_auth()
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]


def session_status(api, token) -> int:
    return api.get("/api/v1/auth/session", **auth(token)).status_code


def without_request_id(body: dict) -> dict:
    body = dict(body)
    body.get("meta", {}).pop("request_id", None)
    body.pop("request_id", None)
    return body


# 1
def test_password_reset_request_answers_the_same_for_known_and_unknown_emails(api, user):
    known = api.post("/api/v1/auth/password/reset", {"email": "ann@example.com"}, format="json")
    unknown = api.post("/api/v1/auth/password/reset", {"email": "zed@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert without_request_id(known.json()) == without_request_id(unknown.json())
    assert known["Content-Type"] == unknown["Content-Type"]
    # The token travels only by email, never in the HTTP answer.
    token = reset_token_from_outbox("ann@example.com")
    assert token not in known.content.decode()


# 2
def test_signup_with_a_registered_email_looks_new_and_creates_no_second_user(api, user):
    fresh = api.post(
        "/api/v1/auth/signup", {"email": "new@example.com", "password": PASSWORD}, format="json"
    )
    taken = api.post(
        "/api/v1/auth/signup", {"email": "ann@example.com", "password": PASSWORD}, format="json"
    )
    assert fresh.status_code == taken.status_code == 201
    fresh_body, taken_body = without_request_id(fresh.json()), without_request_id(taken.json())
    assert fresh_body["data"].keys() == taken_body["data"].keys()
    assert fresh_body["data"]["detail"] == taken_body["data"]["detail"]
    assert "token" not in fresh_body["data"]  # no login either way
    assert User.all_objects.filter(email="ann@example.com").count() == 1
    assert User.objects.filter(email="new@example.com").count() == 1
    # The owner of the registered email is told someone tried.
    assert any(m.to == ["ann@example.com"] for m in mail.outbox)


# 3
def test_wrong_password_and_unknown_email_give_the_same_error(api, user):
    wrong = api.post(
        "/api/v1/auth/login", {"email": "ann@example.com", "password": "nope-nope-1"}, format="json"
    )
    unknown = api.post(
        "/api/v1/auth/login", {"email": "zed@example.com", "password": "nope-nope-1"}, format="json"
    )
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert without_request_id(wrong.json()) == without_request_id(unknown.json())


# 4
def test_sixth_failed_login_in_five_minutes_is_refused_even_with_right_password(api, user):
    for attempt in range(5):
        response = api.post(
            "/api/v1/auth/login",
            {"email": "ANN@example.com", "password": f"wrong-{attempt}-pass"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
        assert response.status_code == 400, response.content
    # Right password, a fresh spoofed X-Forwarded-For and another allowed Host: still refused.
    response = api.post(
        "/api/v1/auth/login",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
        HTTP_HOST="localhost",
    )
    assert response.status_code == 429, response.content
    assert response.json()["code"] == "too_many_attempts"
    # Another account is not locked by it.
    services.create_user("bob@example.com", PASSWORD)
    assert login_token(api, "bob@example.com")


# 5
def test_session_token_from_before_login_is_invalid_after_login(api, user):
    store = import_module(settings.SESSION_ENGINE).SessionStore
    anonymous = store()
    anonymous["pending"] = "login"
    anonymous.create()
    before = anonymous.session_key
    response = api.post(
        "/api/v1/auth/login",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        **auth(before),
    )
    after = response.json()["data"]["token"]
    assert after != before
    assert not store().exists(before)
    assert services.verify_session(before) is None
    # Logging in again while logged in rotates the key too.
    again = api.post(
        "/api/v1/auth/login",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        **auth(after),
    ).json()["data"]["token"]
    assert again != after
    assert session_status(api, after) == 401
    assert session_status(api, again) == 200


# 6
def test_after_logout_the_token_is_rejected_everywhere_at_once(api, user):
    token = login_token(api, "ann@example.com")
    assert session_status(api, token) == 200
    assert api.post("/api/v1/auth/logout", **auth(token)).status_code == 200
    assert services.verify_session(token) is None
    assert session_status(api, token) == 401
    assert api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert introspect(api, token)["active"] is False


# 7
def test_reset_token_works_once_and_older_outstanding_tokens_fail(api, user):
    api.post("/api/v1/auth/password/reset", {"email": "ann@example.com"}, format="json")
    older = reset_token_from_outbox("ann@example.com")
    api.post("/api/v1/auth/password/reset", {"email": "ann@example.com"}, format="json")
    newer = reset_token_from_outbox("ann@example.com")
    assert older != newer

    confirm = "/api/v1/auth/password/reset/confirm"
    stale = api.post(confirm, {"token": older, "new_password": NEW_PASSWORD}, format="json")
    assert stale.status_code == 400 and stale.json()["code"] == "invalid_token"
    used = api.post(confirm, {"token": newer, "new_password": NEW_PASSWORD}, format="json")
    assert used.status_code == 200, used.content
    again = api.post(confirm, {"token": newer, "new_password": "Third-pass-word-99"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


# 8
def test_expired_or_tampered_reset_tokens_are_rejected(api, user, settings):
    token = services.request_password_reset("ann@example.com")
    uid, key = token.split("-", 1)
    timestamp, signature = key.split("-")
    tampered = [
        f"{uid}-{timestamp}-{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
        f"{uid}-{int(timestamp, 36) + 1:x}-{signature}",
        f"{uid[:-1]}{'0' if uid[-1] != '0' else '1'}-{key}",
        f"{uid}-{key}x",
        token.upper(),
    ]
    confirm = "/api/v1/auth/password/reset/confirm"
    for bad in tampered:
        response = api.post(confirm, {"token": bad, "new_password": NEW_PASSWORD}, format="json")
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid_token"

    # A token made PASSWORD_RESET_TIMEOUT + 1 seconds ago has expired.
    generator = PasswordResetTokenGenerator()
    user.refresh_from_db()
    past = generator._num_seconds(generator._now()) - settings.PASSWORD_RESET_TIMEOUT - 1
    expired = f"{uid}-{generator._make_token_with_timestamp(user, past, generator.secret)}"
    response = api.post(confirm, {"token": expired, "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_token"
    # ...while the real one is still good: the rejections above were not about the user.
    ok = api.post(confirm, {"token": token, "new_password": NEW_PASSWORD}, format="json")
    assert ok.status_code == 200


# 9
@pytest.mark.parametrize("how", ["reset", "change"])
def test_after_reset_or_password_change_every_old_session_fails(api, user, how):
    phone, laptop = login_token(api, "ann@example.com"), login_token(api, "ann@example.com")
    if how == "reset":
        token = services.request_password_reset("ann@example.com")
        response = api.post(
            "/api/v1/auth/password/reset/confirm",
            {"token": token, "new_password": NEW_PASSWORD},
            format="json",
        )
    else:
        response = api.post(
            "/api/v1/auth/password/change",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
            **auth(laptop),
        )
    assert response.status_code == 200, response.content
    for token in (phone, laptop):
        assert session_status(api, token) == 401
        assert introspect(api, token)["active"] is False
    assert session_status(api, login_token(api, "ann@example.com", NEW_PASSWORD)) == 200


# 10
def test_reset_does_not_log_in_and_weak_passwords_are_rejected(api, user):
    token = services.request_password_reset("ann@example.com")
    confirm = "/api/v1/auth/password/reset/confirm"
    for weak in ("short1A", "password1234", "12345678901234", "ann@example.com"):
        response = api.post(confirm, {"token": token, "new_password": weak}, format="json")
        assert response.status_code == 400, weak
        assert response.json()["errors"][0]["pointer"].endswith("new_password")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # nothing changed, the token is still usable

    response = api.post(confirm, {"token": token, "new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()["data"]
    assert "token" not in body and "user" not in body
    assert "sessionid" not in response.cookies
    assert not [k for k in response.headers if k.lower() == "x-session-token"]
    from allauth.usersessions.models import UserSession

    assert not UserSession.objects.filter(user=user).exists()


# 11
def test_idle_and_absolute_timeouts_expire_sessions_even_while_in_use(api, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    settings.SESSION_ABSOLUTE_TIMEOUT = 3600
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def age(token, key, seconds):
        session = store(session_key=token)
        session[key] = time.time() - seconds
        session.save()

    # Absolute: logged in just over an hour ago, active a moment ago.
    busy = login_token(api, "ann@example.com")
    assert session_status(api, busy) == 200
    age(busy, session_rules.LOGIN_AT_KEY, 3601)
    age(busy, session_rules.SEEN_AT_KEY, 1)
    assert services.verify_session(busy) is None
    assert session_status(api, busy) == 401
    assert introspect(api, busy)["active"] is False

    # Idle: logged in recently, nothing for just over the idle timeout.
    idle = login_token(api, "ann@example.com")
    age(idle, session_rules.SEEN_AT_KEY, 601)
    assert introspect(api, idle)["active"] is False
    assert session_status(api, idle) == 401

    # In use, within both limits: every use moves the idle deadline forward.
    live = login_token(api, "ann@example.com")
    age(live, session_rules.SEEN_AT_KEY, 590)
    assert session_status(api, live) == 200
    assert time.time() - store(session_key=live)[session_rules.SEEN_AT_KEY] < 5
    data = introspect(api, live)
    assert data["active"] is True and data["expires_at"]


# 12
def test_introspection_accepts_only_service_tokens_and_reports_gone_users_inactive(
    api, user, other_user
):
    token = login_token(api, "ann@example.com")
    url = "/internal/v1/introspect"
    for headers in (
        {},
        service_auth("wrong-token"),
        service_auth(token),  # a user's session token presented as a service token
        {"HTTP_X_SESSION_TOKEN": token},
        {"HTTP_AUTHORIZATION": f"Token {'a1' * 20}"},
    ):
        response = api.post(url, {"token": token}, format="json", **headers)
        assert response.status_code == 401, headers
        assert "active" not in response.content.decode()

    data = introspect(api, token)
    assert data["active"] is True
    assert data["user"]["id"] == str(user.pk) and data["user"]["email"] == "ann@example.com"

    user.is_active = False
    user.save()
    assert introspect(api, token) == {"active": False, "user": None, "expires_at": None}

    other = login_token(api, "bob@example.com")
    other_user.delete()
    assert introspect(api, other)["active"] is False


# 13
def test_users_cannot_read_or_change_each_other_and_only_admins_or_services_list(
    api, user, other_user, admin_user
):
    ann = login_token(api, "ann@example.com")
    bob_url = f"/api/v1/users/{other_user.pk}"
    assert api.get(bob_url, **auth(ann)).status_code == 404
    response = api.patch(bob_url, {"first_name": "Hacked"}, format="json", **auth(ann))
    assert response.status_code == 404
    other_user.refresh_from_db()
    assert other_user.first_name == "Bob"
    assert api.get(f"/api/v1/users/{user.pk}", **auth(ann)).status_code == 200

    listing = api.get("/api/v1/users", **auth(ann))
    assert listing.status_code == 403
    admin = login_token(api, "root@example.com")
    assert api.get("/api/v1/users", **auth(admin)).status_code == 200
    assert api.get("/api/v1/users", **service_auth()).status_code == 200
    assert api.get(bob_url, **auth(admin)).status_code == 200
    assert api.get(bob_url, **service_auth()).status_code == 200
    assert api.get("/api/v1/users").status_code == 401


# --- Issue 13 §2: every password check behind the one lockout ----------------------------------
WRONG = "wrong-Guess-123"


def _admin_login(client, email: str, password: str, address: str):
    """The Django admin's login form (CSRF checks are off in Django's test client)."""
    return client.post(
        "/admin/login/",
        {"username": email, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def _guess(path: str, api, client, email: str, password: str, address: str, token: str) -> None:
    """One password check through ``path``; asserts it did not let anybody in."""
    if path == "api_login":
        response = api.post(
            "/api/v1/auth/login",
            {"email": email, "password": password},
            format="json",
            REMOTE_ADDR=address,
        )
        assert response.status_code in (400, 429), response.content
    elif path == "password_change":
        response = api.post(
            "/api/v1/auth/password/change",
            {"current_password": password, "new_password": NEW_PASSWORD},
            format="json",
            REMOTE_ADDR=address,
            **auth(token),
        )
        assert response.status_code in (400, 429), response.content
    elif path == "admin_form":
        response = _admin_login(client, email, password, address)
        assert response.status_code == 200  # the form again, with an error
    else:  # HTTP Basic on a view that opted into it
        response = api.get(
            "/basic/whoami", HTTP_AUTHORIZATION=_basic(email, password), REMOTE_ADDR=address
        )
        assert response.status_code in (401, 403)


def _basic(email: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{email}:{password}".encode()).decode()


@pytest.mark.parametrize("path", ["api_login", "password_change", "admin_form", "basic"])
def test_wrong_guesses_on_any_password_path_lock_every_path(api, client, user, path):
    User.objects.filter(pk=user.pk).update(is_staff=True)
    token = login_token(api, "ann@example.com")
    for attempt in range(5):
        _guess(
            path, api, client, "ann@example.com", f"{WRONG}{attempt}", f"192.0.2.{attempt}", token
        )
    # The right password from yet another address is refused everywhere.
    response = api.post(
        "/api/v1/auth/login",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.99",
    )
    assert response.status_code == 429, response.content
    assert 290 <= int(response["Retry-After"]) <= 300  # the lock's real remaining time
    assert response.json()["retry_after"] == int(response["Retry-After"])
    change = api.post(
        "/api/v1/auth/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.98",
        **auth(token),
    )
    assert change.status_code == 429
    assert int(change["Retry-After"]) > 60
    admin = _admin_login(client, "ann@example.com", PASSWORD, "192.0.2.97")
    assert admin.status_code == 200 and "_auth_user_id" not in client.session
    basic = api.get(
        "/basic/whoami",
        HTTP_AUTHORIZATION=_basic("ann@example.com", PASSWORD),
        REMOTE_ADDR="192.0.2.96",
    )
    assert basic.status_code in (401, 403)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)  # nothing was changed along the way


def test_admin_form_and_basic_let_the_right_password_in_when_not_locked(api, client, user):
    User.objects.filter(pk=user.pk).update(is_staff=True)
    basic = api.get("/basic/whoami", HTTP_AUTHORIZATION=_basic("ann@example.com", PASSWORD))
    assert basic.status_code == 200 and basic.json()["data"]["email"] == "ann@example.com"
    response = _admin_login(client, "ann@example.com", PASSWORD, "192.0.2.1")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_one_client_guessing_on_the_admin_form_is_refused_on_the_api(api, client, user):
    from accounts.services import create_user

    for index in range(10):
        victim = f"victim{index}@example.com"
        create_user(victim, PASSWORD)
        _admin_login(client, victim, WRONG, "192.0.2.50")
    response = api.post(
        "/api/v1/auth/login",
        {"email": "ann@example.com", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.50",
    )
    assert response.status_code == 429
    assert 50 <= int(response["Retry-After"]) <= 60  # the per-client window: one minute


def test_a_plain_authenticate_call_counts_and_is_refused_while_locked(rf, user):
    from django.contrib.auth import authenticate

    request = rf.post("/", REMOTE_ADDR="192.0.2.7")
    for _ in range(5):
        assert authenticate(request, username="ann@example.com", password=WRONG) is None
    assert authenticate(request, username="ann@example.com", password=PASSWORD) is None
    assert authenticate(None, email="bob@example.com", password=PASSWORD) is None  # no such user


def test_admin_cookie_session_is_not_an_api_token(api, client, user):
    User.objects.filter(pk=user.pk).update(is_staff=True)
    assert _admin_login(client, "ann@example.com", PASSWORD, "192.0.2.3").status_code == 302
    cookie = client.cookies["sessionid"].value
    assert client.get("/admin/").status_code == 200
    assert api.get("/api/v1/users/me", **auth(cookie)).status_code == 401
    assert api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {cookie}").status_code == 401
    assert introspect(api, cookie)["active"] is False


def test_api_token_is_not_a_cookie_session(api, client, user):
    User.objects.filter(pk=user.pk).update(is_staff=True)
    token = login_token(api, "ann@example.com")
    client.cookies["sessionid"] = token
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # The cookie is dropped; the token itself still works on the API.
    assert response.cookies["sessionid"].value == ""
    assert api.get("/api/v1/users/me", **auth(token)).status_code == 200
