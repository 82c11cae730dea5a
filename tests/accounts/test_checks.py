"""accounts' system checks: DRF's default authentication (W001/W002), log-only email (E001)."""

from __future__ import annotations

import pytest

from accounts.checks import (
    SUITE_AUTHENTICATION_CLASSES,
    check_drf_authentication,
    check_email_backend,
)


def ids(messages) -> list[str]:
    return [message.id for message in messages]


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
    assert message.id == "accounts.E001"
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
