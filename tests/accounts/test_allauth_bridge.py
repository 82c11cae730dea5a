"""Pins the allauth behaviour accounts relies on (everything imported via allauth_bridge).

If an allauth upgrade changes one of these, this file says which assumption broke.
"""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.test import RequestFactory

from accounts import allauth_bridge as bridge
from accounts import services
from accounts import sessions as session_rules
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_settings_point_allauth_at_our_classes():
    from allauth.account import app_settings as account_settings
    from allauth.account.adapter import get_adapter
    from allauth.headless import app_settings as headless_settings

    from accounts.tokens import PasswordResetTokenGenerator

    assert isinstance(get_adapter(), bridge.AccountAdapter)
    assert isinstance(headless_settings.TOKEN_STRATEGY, bridge.SessionTokenStrategy)
    assert account_settings.PASSWORD_RESET_TOKEN_GENERATOR is PasswordResetTokenGenerator
    assert account_settings.LOGIN_ON_PASSWORD_RESET is False
    assert account_settings.PREVENT_ENUMERATION is True


def test_allauth_rate_limits_we_document():
    from allauth.account import app_settings as account_settings

    limits = account_settings.RATE_LIMITS
    assert limits["login_failed"] == "10/m/ip,5/300s/key"
    assert limits["reset_password"] == "20/m/ip,5/m/key"
    assert limits["signup"] == "20/m/ip"


def test_client_ip_ignores_x_forwarded_for_unless_proxies_are_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert bridge.client_ip(request) == "10.0.0.1"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert bridge.client_ip(request) == "6.6.6.6"


def test_session_token_is_the_session_key_and_allauths_drf_class_accepts_it(user):
    from allauth.headless.contrib.rest_framework.authentication import (
        XSessionTokenAuthentication,
    )

    session = services.login("ann@example.com", PASSWORD)
    request = RequestFactory().get("/", HTTP_X_SESSION_TOKEN=session.token)
    found_user, found_session = XSessionTokenAuthentication().authenticate(request)
    assert found_user == user and found_session.session_key == session.token


def test_token_strategy_ends_expired_sessions(user, settings):
    from allauth.usersessions.models import UserSession

    session = services.login("ann@example.com", PASSWORD)
    assert UserSession.objects.filter(session_key=session.token).exists()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.token)
    store[session_rules.SEEN_AT_KEY] -= settings.SESSION_IDLE_TIMEOUT + 1
    store.save()
    assert bridge.SessionTokenStrategy().lookup_session(session.token) is None
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(session.token)
    assert not UserSession.objects.filter(session_key=session.token).exists()


def test_flow_request_never_shares_the_callers_session():
    caller = RequestFactory().post("/", REMOTE_ADDR="192.0.2.5", HTTP_USER_AGENT="ua")
    caller.session = import_module(settings.SESSION_ENGINE).SessionStore()
    flow = bridge.flow_request(caller)
    assert flow.session is not caller.session
    assert flow.META["REMOTE_ADDR"] == "192.0.2.5"
    assert bridge.flow_request().META["REMOTE_ADDR"] == bridge.INTERNAL_CLIENT_IP


def test_login_records_the_session_in_usersessions(user):
    from allauth.usersessions.models import UserSession

    first = services.login("ann@example.com", PASSWORD)
    second = services.login("ann@example.com", PASSWORD)
    keys = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    assert keys == {first.token, second.token}
    assert bridge.end_all_sessions(user) == 2
    assert services.verify_session(first.token) is None


def test_reset_token_of_a_soft_deleted_user_is_invalid(user):
    token = services.request_password_reset("ann@example.com")
    assert bridge.user_for_reset_token(token) == user
    user.delete()
    assert bridge.user_for_reset_token(token) is None


def test_password_validators_run_through_allauths_adapter(user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        bridge.validate_password("ann@example.com", user=user)
    assert "password_too_similar" in [e.code for e in info.value.error_list]


def test_a_password_reset_lifts_the_login_lockout_of_the_account(user):
    from accounts.exceptions import InvalidCredentialsError, TooManyAttemptsError

    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            services.login("ann@example.com", "wrong password")
    with pytest.raises(TooManyAttemptsError):
        services.login("ann@example.com", PASSWORD)
    token = services.request_password_reset("ann@example.com")
    services.reset_password(token, "a new Passw0rd of length")
    assert services.login("ann@example.com", "a new Passw0rd of length").user == user


def test_reset_password_runs_allauths_reset_key_form_validators(user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        bridge.reset_password(bridge.flow_request(), user, "ann@example.com")
    assert "password_too_similar" in [e.code for e in info.value.error_list]
