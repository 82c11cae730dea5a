"""shared_core.conf: one settings object per app, with defaults, cached, reloaded on change."""

from __future__ import annotations

import pytest
from django.test import override_settings

from accounts.conf import accounts_settings
from apipatterns.conf import apipatterns_settings
from healthchecks.conf import health_settings
from shared_core.conf import AppSettings, Setting, shared_core_settings
from shared_core.http import HTTPClient
from tests.settings_support import unset

ALL = [shared_core_settings, apipatterns_settings, accounts_settings, health_settings]


@pytest.fixture
def conf():
    return AppSettings("demo", [Setting("DEMO_LIMIT", 5, "A limit."), Setting("DEMO_MAP", {})])


def test_a_setting_the_project_leaves_out_has_its_default(conf, settings):
    assert not hasattr(settings, "DEMO_LIMIT")
    assert conf.DEMO_LIMIT == 5
    assert not conf.is_set("DEMO_LIMIT")


def test_the_projects_value_wins_and_a_change_is_seen_at_once(conf, settings):
    settings.DEMO_LIMIT = 7
    assert conf.DEMO_LIMIT == 7 and conf.is_set("DEMO_LIMIT")
    with override_settings(DEMO_LIMIT=9):
        assert conf.DEMO_LIMIT == 9
    assert conf.DEMO_LIMIT == 7
    with unset("DEMO_LIMIT"):
        assert conf.DEMO_LIMIT == 5
    assert conf.DEMO_LIMIT == 7


def test_a_value_is_read_once_then_kept_as_a_plain_attribute(conf, settings):
    settings.DEMO_LIMIT = 7
    assert "DEMO_LIMIT" not in vars(conf)
    conf.DEMO_LIMIT
    assert vars(conf)["DEMO_LIMIT"] == 7  # the next read never reaches django.conf


def test_a_change_to_another_setting_keeps_the_cached_values(conf, settings):
    conf.DEMO_LIMIT
    settings.SOMETHING_ELSE = 1
    assert "DEMO_LIMIT" in vars(conf)


def test_mutable_defaults_are_not_shared_between_reloads(conf):
    conf.DEMO_MAP["x"] = 1
    conf.reload()
    assert conf.DEMO_MAP == {}


def test_an_unknown_name_is_an_attribute_error(conf):
    with pytest.raises(AttributeError, match="DEMO_OTHER"):
        conf.DEMO_OTHER


@pytest.mark.parametrize("app_settings", ALL, ids=lambda s: s.app)
def test_every_setting_of_every_app_is_documented(app_settings):
    names = [setting.name for setting in app_settings]
    assert names and len(names) == len(set(names))
    for setting in app_settings:
        assert setting.doc.strip(), setting.name


def test_no_name_belongs_to_two_apps():
    names = [setting.name for app_settings in ALL for setting in app_settings]
    assert len(names) == len(set(names))


def test_http_client_defaults_apply_when_the_project_sets_none(settings):
    settings.HTTP_CLIENT_DEADLINE = 7.0
    settings.HTTP_CLIENT_RETRIES = 0
    with unset("HTTP_CLIENT_DEADLINE", "HTTP_CLIENT_RETRIES", "SERVICE_NAME"):
        client = HTTPClient("http://127.0.0.1:9/")
        assert (client.deadline, client.retries) == (30.0, 3)
        assert shared_core_settings.SERVICE_NAME == "django-service"
        client.close()
    client = HTTPClient("http://127.0.0.1:9/")
    assert (client.deadline, client.retries) == (7.0, 0)
    client.close()


def test_the_apps_read_only_djangos_own_settings_directly():
    # Anything else goes through the app's settings object, which has a default for it.
    import re
    from pathlib import Path

    from django.conf import global_settings

    root = Path(__file__).resolve().parents[2]
    read = re.compile(
        r"(?<![\w.])settings\.([A-Z][A-Z0-9_]*)|getattr\(settings,\s*(?:\"([A-Z][A-Z0-9_]*)\")?"
    )
    # ROOT_URLCONF is Django's too, required by it (no global default); SPECTACULAR_SETTINGS is
    # drf-spectacular's own dict, whose settings object is built once and never reloaded, so the
    # system check that validates it reads the dict itself.
    libraries = {"ROOT_URLCONF", "SPECTACULAR_SETTINGS"}
    # client_for() reads a service's base URL from the setting SERVICE_URL_SETTINGS names: the
    # project picks that name, so no settings object can hold a default for it.
    by_name = {"shared_core/http/registry.py": "getattr(settings, setting, None)"}
    offenders = []
    for app in ("shared_core", "apipatterns", "accounts", "healthchecks"):
        for path in (root / app).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                for match in read.finditer(line.split("#")[0]):
                    name = match[1] or match[2]
                    if by_name.get(path.relative_to(root).as_posix(), "\0") in line:
                        continue
                    if name is None or not (hasattr(global_settings, name) or name in libraries):
                        offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
