"""accounts' system checks: what accounts cannot default (E001-E004), DRF's default
authentication (W001/W002), log-only email (E005)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.checks import (
    ACCOUNT_MIDDLEWARE,
    REQUIRED_APPS,
    SUITE_AUTHENTICATION_CLASSES,
    check_accounts_settings,
    check_drf_authentication,
    check_email_backend,
)
from accounts.models import User


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_suites_settings_pass():
    assert ids(check_accounts_settings()) == []


def test_the_user_model_is_swappable_like_djangos_so_it_never_clashes_with_auth_user():
    # Without AUTH_USER_MODEL = "accounts.User", accounts.User is swapped out (as auth.User is
    # now): no fields.E304 between two user models, only accounts.E001.
    assert User._meta.swappable == "AUTH_USER_MODEL"
    assert User._meta.swapped is None


def test_another_user_model_is_an_error_naming_the_line(settings):
    settings.AUTH_USER_MODEL = "auth.User"
    messages = check_accounts_settings()
    assert ids(messages) == ["accounts.E001"]
    assert 'AUTH_USER_MODEL = "accounts.User"' in messages[0].hint


def test_missing_allauth_apps_are_an_error_naming_them(settings):
    settings.INSTALLED_APPS = [
        app for app in settings.INSTALLED_APPS if app not in REQUIRED_APPS[3:]
    ]
    messages = check_accounts_settings()
    assert ids(messages) == ["accounts.E002"]
    assert '"allauth.usersessions", "allauth.socialaccount"' in messages[0].hint


def test_a_missing_account_middleware_is_an_error_naming_it(settings):
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if path != ACCOUNT_MIDDLEWARE]
    messages = check_accounts_settings()
    assert ids(messages) == ["accounts.E003"]
    assert f'Add "{ACCOUNT_MIDDLEWARE}" to MIDDLEWARE' in messages[0].hint


@pytest.mark.parametrize("silenced", [[], ["auth.E003"], ["auth.W004"]])
def test_the_unsilenced_auth_uniqueness_check_is_explained(settings, silenced):
    settings.SILENCED_SYSTEM_CHECKS = silenced
    messages = check_accounts_settings()
    assert ids(messages) == ["accounts.E004"]
    assert 'SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"]' in messages[0].hint


def test_manage_py_check_fails_with_the_id(settings):
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if path != ACCOUNT_MIDDLEWARE]
    with pytest.raises(SystemCheckError, match=r"accounts\.E003"):
        call_command("check")


def test_the_suites_settings_pass_both_checks():
    assert check_drf_authentication() == []
    assert check_email_backend() == []


def test_drf_defaults_left_in_place_warn_with_the_line_to_add(settings):
    settings.REST_FRAMEWORK = {"EXCEPTION_HANDLER": "apipatterns.handlers.exception_handler"}
    (message,) = check_drf_authentication()
    assert message.id == "accounts.W001"
    assert "DEFAULT_AUTHENTICATION_CLASSES" in message.hint
    assert repr(SUITE_AUTHENTICATION_CLASSES) in message.hint


@pytest.mark.parametrize(
    ("path", "setting"),
    [
        ("rest_framework.authentication.BasicAuthentication", "API_BASIC_AUTH"),
        ("rest_framework.authentication.SessionAuthentication", "API_COOKIE_SESSION_AUTH"),
    ],
)
def test_basic_or_cookie_sessions_need_their_opt_in(settings, path, setting):
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [*SUITE_AUTHENTICATION_CLASSES, path]
    }
    setattr(settings, setting, False)
    (message,) = check_drf_authentication()
    assert message.id == "accounts.W002"
    assert f"{setting} = True" in message.hint
    setattr(settings, setting, True)
    assert check_drf_authentication() == []


def test_the_opt_in_settings_add_the_classes():
    from settings.base import API_AUTHENTICATION_CLASSES

    assert API_AUTHENTICATION_CLASSES == SUITE_AUTHENTICATION_CLASSES  # both off by default


@pytest.mark.parametrize("backend", ["console", "dummy"])
def test_console_or_dummy_email_is_an_error_without_debug(settings, backend):
    settings.EMAIL_BACKEND = f"django.core.mail.backends.{backend}.EmailBackend"
    settings.DEBUG = False
    settings.EMAIL_ALLOW_CONSOLE_BACKEND = False
    (message,) = check_email_backend()
    assert message.id == "accounts.E005"
    assert "EMAIL_URL=smtp://" in message.hint and "EMAIL_ALLOW_CONSOLE_BACKEND" in message.hint
    settings.EMAIL_ALLOW_CONSOLE_BACKEND = True
    assert check_email_backend() == []
    settings.EMAIL_ALLOW_CONSOLE_BACKEND = False
    settings.DEBUG = True
    assert check_email_backend() == []


@pytest.mark.parametrize("backend", ["filebased", "smtp", "locmem"])
def test_delivering_or_file_backends_pass(settings, backend):
    settings.EMAIL_BACKEND = f"django.core.mail.backends.{backend}.EmailBackend"
    settings.DEBUG = False
    assert check_email_backend() == []
