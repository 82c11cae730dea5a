"""shared_core.service_clients: one pooled HTTPClient per downstream service, per process."""

from shared_core.clients import HTTPClient
from shared_core.service_clients import clear_clients, client_for


def test_the_same_base_url_gives_the_same_client(settings):
    clear_clients()
    first = client_for("http://127.0.0.1:8001")
    assert isinstance(first, HTTPClient)
    assert client_for("http://127.0.0.1:8001/") is first  # trailing slash or not
    assert client_for("http://127.0.0.1:8002") is not first


def test_the_client_makes_real_calls(httpserver):
    clear_clients()
    httpserver.expect_request("/ping").respond_with_json({"ok": True})
    assert client_for(httpserver.url_for("/")).get_json("ping") == {"ok": True}


def test_clear_clients_forgets_them():
    first = client_for("http://127.0.0.1:8009")
    clear_clients()
    assert client_for("http://127.0.0.1:8009") is not first
