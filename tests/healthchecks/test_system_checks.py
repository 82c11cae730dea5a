"""Settings validation: Django's system check framework reports bad healthcheck settings."""

import pytest

from healthchecks.system_checks import check_healthcheck_settings
from tests.settings_support import unset


def ids(settings) -> list[str]:
    return [message.id for message in check_healthcheck_settings()]


def test_the_defaults_are_valid(settings):
    settings.HEALTHCHECK_DEPENDENCIES = {}
    settings.HEALTHCHECK_TIMEOUT = 2.0
    assert ids(settings) == []


def test_valid_dependencies_pass(settings):
    settings.HEALTHCHECK_DEPENDENCIES = {
        "user-service": "http://user-service:8001/health",
        "billing": "https://billing.example.com/health",
    }
    assert ids(settings) == []


@pytest.mark.parametrize("value", [["http://a/health"], "http://a/health", 3])
def test_dependencies_must_be_a_mapping(settings, value):
    settings.HEALTHCHECK_DEPENDENCIES = value
    assert ids(settings) == ["healthchecks.E001"]


@pytest.mark.parametrize(
    "value",
    [
        {"user-service": "user-service:8001/health"},
        {"user-service": "ftp://user-service/health"},
        {"user-service": 8001},
        {"": "http://user-service/health"},
    ],
)
def test_each_dependency_needs_a_name_and_an_http_url(settings, value):
    settings.HEALTHCHECK_DEPENDENCIES = value
    assert ids(settings) == ["healthchecks.E002"]


def test_credentials_in_a_dependency_url_are_refused(settings):
    settings.HEALTHCHECK_DEPENDENCIES = {"svc": "http://u:pw-s3cret@host/health"}
    assert ids(settings) == ["healthchecks.E004"]


def test_the_error_does_not_echo_the_url(settings):
    settings.HEALTHCHECK_DEPENDENCIES = {"svc": "ftp://u:pw-s3cret@host/"}
    (message,) = check_healthcheck_settings()
    assert "pw-s3cret" not in message.msg


@pytest.mark.parametrize("value", [0, -1, "2", True])
def test_timeout_must_be_a_positive_number(settings, value):
    settings.HEALTHCHECK_TIMEOUT = value
    assert ids(settings) == ["healthchecks.E003"]


def test_manage_py_check_runs_it(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.HEALTHCHECK_TIMEOUT = 0
    with pytest.raises(SystemCheckError, match=r"healthchecks\.E003"):
        call_command("check")


def test_a_root_urlconf_without_the_probe_urls_is_an_error_naming_the_include(settings):
    from healthchecks.system_checks import check_healthcheck_urls

    assert check_healthcheck_urls() == []
    settings.ROOT_URLCONF = "tests.apitest.urls"  # the apipatterns test URLs: no /health
    [message] = check_healthcheck_urls()
    assert message.id == "healthchecks.E005"
    assert 'path("", include("healthchecks.urls"))' in message.hint


def test_the_defaults_apply_when_the_project_sets_no_healthcheck_setting():
    with unset("HEALTHCHECK_DEPENDENCIES", "HEALTHCHECK_TIMEOUT", "HEALTHCHECK_STORAGE"):
        assert check_healthcheck_settings() == []
