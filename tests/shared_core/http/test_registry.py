"""shared_core.http.registry: one pooled HTTPClient per downstream service name, per process."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from shared_core.http import HTTPClient, clear_clients, client_for, service_url


@pytest.fixture(autouse=True)
def _fresh_clients():
    clear_clients()
    yield
    clear_clients()


def test_a_service_name_gives_the_same_client_each_time(settings):
    settings.SERVICE_URL_SETTINGS = {"user-service": "USERS_URL", "ticket-service": "TICKETS_URL"}
    settings.USERS_URL = "http://127.0.0.1:8001"
    settings.TICKETS_URL = "http://127.0.0.1:8002/"
    first = client_for("user-service")
    assert isinstance(first, HTTPClient)
    assert first.base_url == "http://127.0.0.1:8001/"
    assert client_for("user-service") is first
    assert client_for("ticket-service") is not first


def test_the_url_is_read_at_every_lookup_so_overrides_pick_another_client(settings):
    settings.SERVICE_URL_SETTINGS = {"user-service": "USERS_URL"}
    settings.USERS_URL = "http://127.0.0.1:8001"
    first = client_for("user-service")
    settings.USERS_URL = "http://127.0.0.1:9001"
    second = client_for("user-service")
    assert second.base_url == "http://127.0.0.1:9001/"
    assert second is not first


def test_an_explicit_base_url_with_or_without_slash_is_one_client():
    first = client_for("identity", base_url="http://127.0.0.1:8001")
    assert client_for("identity", base_url="http://127.0.0.1:8001/") is first


def test_options_give_their_own_client_and_are_applied():
    plain = client_for("identity", base_url="http://127.0.0.1:8001")
    fast = client_for("identity", base_url="http://127.0.0.1:8001", retries=1, deadline=5.0)
    assert fast is not plain
    assert (fast.retries, fast.deadline) == (1, 5.0)
    assert client_for("identity", base_url="http://127.0.0.1:8001", deadline=5.0, retries=1) is fast


def test_the_user_agent_names_this_service(settings, httpserver):
    settings.SERVICE_NAME = "ticket-service"
    httpserver.expect_request("/ping").respond_with_json({"ok": True})
    client_for("user-service", base_url=httpserver.url_for("/")).get_json("ping")
    request, _ = httpserver.log[-1]
    assert request.headers["User-Agent"].startswith("ticket-service ")


def test_the_client_makes_real_calls(settings, httpserver):
    settings.SERVICE_URL_SETTINGS = {"user-service": "USERS_URL"}
    settings.USERS_URL = httpserver.url_for("/")
    httpserver.expect_request("/ping").respond_with_json({"ok": True})
    assert client_for("user-service").get_json("ping") == {"ok": True}


def test_clear_clients_forgets_them():
    first = client_for("identity", base_url="http://127.0.0.1:8009")
    clear_clients()
    assert client_for("identity", base_url="http://127.0.0.1:8009") is not first


def test_an_unknown_service_name_is_a_configuration_error(settings):
    settings.SERVICE_URL_SETTINGS = {}
    with pytest.raises(ImproperlyConfigured, match="SERVICE_URL_SETTINGS"):
        client_for("billing-service")


def test_a_named_setting_that_is_empty_is_a_configuration_error(settings):
    settings.SERVICE_URL_SETTINGS = {"billing-service": "BILLING_URL"}
    settings.BILLING_URL = ""
    with pytest.raises(ImproperlyConfigured, match="BILLING_URL"):
        service_url("billing-service")


def test_the_suite_settings_name_the_demo_services(settings):
    assert service_url("user-service") == settings.IDENTITY_SERVICE_URL
    assert service_url("ticket-service") == settings.TICKET_SERVICE_URL
