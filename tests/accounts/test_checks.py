"""accounts' system checks: what accounts cannot default fails `check`, naming the line."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.checks import ACCOUNT_MIDDLEWARE, REQUIRED_APPS, check_accounts_settings
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
