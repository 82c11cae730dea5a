"""accounts.services: the functions, on the real session store, allauth flows and locmem email."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from rest_framework.exceptions import ValidationError

from accounts import services
from accounts.exceptions import (
    EmailAlreadyRegisteredError,
    InvalidCredentialsError,
    InvalidResetTokenError,
    UserNotFoundError,
)
from accounts.models import User
from tests.accounts.conftest import NEW_PASSWORD, PASSWORD

pytestmark = pytest.mark.django_db


def test_create_user_normalises_email_and_applies_profile():
    user = services.create_user(
        "  Ann.Lee@Example.COM ", PASSWORD, {"first_name": "Ann", "timezone": "Europe/Paris"}
    )
    assert user.email == "ann.lee@example.com"
    assert user.first_name == "Ann" and user.timezone == "Europe/Paris"
    assert user.check_password(PASSWORD)
    assert isinstance(user.pk, uuid.UUID)


def test_create_user_refuses_fields_outside_the_whitelist():
    with pytest.raises(ValidationError) as info:
        services.create_user("ann@example.com", PASSWORD, {"is_staff": True, "first_name": "A"})
    assert "is_staff" in info.value.detail
    assert not User.all_objects.exists()


def test_create_user_refuses_a_registered_email_in_any_case(user):
    with pytest.raises(EmailAlreadyRegisteredError) as info:
        services.create_user("ANN@example.com", PASSWORD)
    assert info.value.status_code == 409


@pytest.mark.parametrize("password", ["short1", "password123456", "1234567890123"])
def test_create_user_runs_the_password_validators(password):
    with pytest.raises(ValidationError) as info:
        services.create_user("ann@example.com", password)
    assert "password" in info.value.detail


def test_create_user_refuses_a_bad_email_and_an_unknown_timezone():
    with pytest.raises(ValidationError) as info:
        services.create_user("not-an-email", PASSWORD)
    assert "email" in info.value.detail
    with pytest.raises(ValidationError) as info:
        services.create_user("ann@example.com", PASSWORD, {"timezone": "Mars/Olympus"})
    assert "timezone" in info.value.detail


def test_create_user_records_the_email_for_allauth(user):
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.filter(user=user, email="ann@example.com").exists()


def test_login_returns_a_session_that_verify_session_accepts(user):
    session = services.login("ANN@example.com", PASSWORD)
    assert session.user == user
    assert session.expires_at is not None
    assert services.verify_session(session.token) == user
    assert session.token not in repr(session)


def test_login_errors_are_the_same_for_wrong_password_and_unknown_email(user):
    with pytest.raises(InvalidCredentialsError) as wrong:
        services.login("ann@example.com", "wrong-password-123")
    with pytest.raises(InvalidCredentialsError) as unknown:
        services.login("nobody@example.com", "wrong-password-123")
    assert wrong.value.get_codes() == unknown.value.get_codes() == "invalid_credentials"


def test_inactive_user_cannot_log_in(user):
    user.is_active = False
    user.save()
    with pytest.raises(InvalidCredentialsError):
        services.login("ann@example.com", PASSWORD)


@pytest.mark.parametrize("token", [None, "", "x" * 40, "../../etc", "A" * 32, "a" * 500])
def test_verify_session_rejects_junk(db, token):
    assert services.verify_session(token) is None


def test_logout_ends_the_session_and_reports_it(user):
    session = services.login("ann@example.com", PASSWORD)
    assert services.logout(session.token) is True
    assert services.verify_session(session.token) is None
    assert services.logout(session.token) is False


def test_each_login_is_its_own_session(user):
    first = services.login("ann@example.com", PASSWORD)
    second = services.login("ann@example.com", PASSWORD)
    assert first.token != second.token
    services.logout(first.token)
    assert services.verify_session(second.token) == user


def test_get_user_and_not_found(user):
    assert services.get_user(user.pk) == user
    assert services.get_user(str(user.pk)) == user
    for missing in (uuid.uuid4(), "not-a-uuid", None):
        with pytest.raises(UserNotFoundError):
            services.get_user(missing)


def test_update_user_changes_whitelisted_fields_only(user):
    updated = services.update_user(user.pk, {"display_name": "Annie", "timezone": "Asia/Tokyo"})
    assert (updated.display_name, updated.timezone) == ("Annie", "Asia/Tokyo")
    for forbidden in ({"email": "x@example.com"}, {"is_superuser": True}, {"password": "x"}):
        with pytest.raises(ValidationError):
            services.update_user(user.pk, forbidden)
    user.refresh_from_db()
    assert user.email == "ann@example.com" and not user.is_superuser


def test_update_user_validates_values(user):
    with pytest.raises(ValidationError) as info:
        services.update_user(user.pk, {"first_name": "x" * 151})
    assert "first_name" in info.value.detail
    with pytest.raises(ValidationError):
        services.update_user(user.pk, ["first_name"])


def test_request_password_reset_returns_the_emailed_token(user):
    token = services.request_password_reset("Ann@Example.com")
    assert token
    [message] = [m for m in mail.outbox if token in m.body]
    assert message.to == ["ann@example.com"]


def test_request_password_reset_for_unknown_email_sends_unknown_account_mail(db):
    assert services.request_password_reset("nobody@example.com") is None
    assert [m.to for m in mail.outbox] == [["nobody@example.com"]]


def test_reset_password_sets_the_password_and_ends_sessions(user):
    session = services.login("ann@example.com", PASSWORD)
    token = services.request_password_reset("ann@example.com")
    assert services.reset_password(token, NEW_PASSWORD) is True
    assert services.verify_session(session.token) is None
    with pytest.raises(InvalidCredentialsError):
        services.login("ann@example.com", PASSWORD)
    assert services.login("ann@example.com", NEW_PASSWORD).user == user


def test_reset_password_rejects_garbage_tokens(user):
    for token in ("", "abc", f"{user.pk.hex}-nope", "-".join(["x"] * 3), "é" * 20):
        with pytest.raises(InvalidResetTokenError):
            services.reset_password(token, NEW_PASSWORD)


def test_change_password_needs_the_current_one_and_ends_every_session(user):
    session = services.login("ann@example.com", PASSWORD)
    with pytest.raises(ValidationError) as info:
        services.change_password(user, "wrong-password-1", NEW_PASSWORD)
    assert "current_password" in info.value.detail
    assert services.change_password(user, PASSWORD, NEW_PASSWORD) is True
    assert services.verify_session(session.token) is None
    assert services.login("ann@example.com", NEW_PASSWORD).user == user


def test_signup_for_a_registered_email_creates_nothing_and_mails_the_owner(user):
    assert services.signup("ANN@example.com", "Some-other-pass-77") is None
    assert User.all_objects.filter(email="ann@example.com").count() == 1
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_soft_deleted_user_frees_the_email_and_loses_sessions(user):
    session = services.login("ann@example.com", PASSWORD)
    user.delete()
    assert services.verify_session(session.token) is None
    with pytest.raises(InvalidCredentialsError):
        services.login("ann@example.com", PASSWORD)
    again = services.create_user("ann@example.com", PASSWORD)
    assert again.pk != user.pk
    assert services.login("ann@example.com", PASSWORD).user == again
