"""apipatterns' system checks: each setting the conventions cannot default fails `check`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from apipatterns.checks import (
    REQUIRED_MIDDLEWARE,
    check_middleware,
    check_rest_framework,
    check_urlconf,
)


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_suites_settings_pass_every_check():
    assert ids(check_rest_framework()) == []
    assert ids(check_middleware()) == []
    assert ids(check_urlconf()) == []


def test_drfs_own_exception_handler_is_an_error_naming_the_line(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    del settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]
    [message] = check_rest_framework()
    assert message.id == "apipatterns.E001"
    assert '"EXCEPTION_HANDLER": "apipatterns.handlers.exception_handler"' in message.hint


def test_drfs_own_schema_class_is_an_error_naming_the_line(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    del settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]
    [message] = check_rest_framework()
    assert message.id == "apipatterns.E002"
    assert '"DEFAULT_SCHEMA_CLASS": "apipatterns.openapi.AutoSchema"' in message.hint


@pytest.mark.parametrize("missing", REQUIRED_MIDDLEWARE)
def test_each_missing_middleware_is_an_error_naming_it(settings, missing):
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if path != missing]
    [message] = check_middleware()
    assert message.id == "apipatterns.E003"
    assert f'Add "{missing}" to MIDDLEWARE' in message.hint


@pytest.mark.parametrize(
    "order",
    [
        [REQUIRED_MIDDLEWARE[1], REQUIRED_MIDDLEWARE[0], REQUIRED_MIDDLEWARE[2]],
        [REQUIRED_MIDDLEWARE[0], REQUIRED_MIDDLEWARE[2], REQUIRED_MIDDLEWARE[1]],
        ["django.middleware.security.SecurityMiddleware", *REQUIRED_MIDDLEWARE],
    ],
)
def test_the_middlewares_out_of_order_are_an_error(settings, order):
    rest = [path for path in settings.MIDDLEWARE if path not in order]
    settings.MIDDLEWARE = [*order, *rest]
    assert ids(check_middleware()) == ["apipatterns.E004"]


def test_a_root_urlconf_without_the_error_handlers_is_an_error(settings):
    settings.ROOT_URLCONF = "tests.apitest.urls_bare"
    messages = check_urlconf()
    assert ids(messages) == ["apipatterns.E005", "apipatterns.E005"]
    assert 'handler404 = "apipatterns.handlers.handler404"' in messages[0].hint
    assert 'handler500 = "apipatterns.handlers.handler500"' in messages[1].hint
    settings.ROOT_URLCONF = "tests.apitest.urls"
    assert ids(check_urlconf()) == []


def test_a_root_urlconf_without_the_schema_url_is_a_warning(settings):
    settings.ROOT_URLCONF = "tests.apipatterns.urls_without_schema"
    messages = check_urlconf()
    assert ids(messages) == ["apipatterns.W001"]
    assert 'path("", include("apipatterns.urls"))' in messages[0].hint


def test_a_docs_page_without_the_sidecar_app_is_a_warning_naming_it(settings):
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "drf_spectacular_sidecar"]
    messages = check_urlconf()
    assert ids(messages) == ["apipatterns.W002"]
    assert messages[0].hint == 'Add "drf_spectacular_sidecar" to INSTALLED_APPS.'


def test_a_docs_page_on_the_cdn_is_a_warning_naming_the_setting(settings):
    settings.SPECTACULAR_SETTINGS = {
        k: v for k, v in settings.SPECTACULAR_SETTINGS.items() if k != "SWAGGER_UI_DIST"
    }
    messages = check_urlconf()
    assert ids(messages) == ["apipatterns.W002"]
    assert '"SWAGGER_UI_DIST": "SIDECAR" to SPECTACULAR_SETTINGS' in messages[0].hint


def test_manage_py_check_fails_with_the_id(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    del settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]
    with pytest.raises(SystemCheckError, match=r"apipatterns\.E001"):
        call_command("check")
