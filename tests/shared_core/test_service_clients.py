"""shared_core.service_clients: one pooled HTTPClient per downstream service, per process."""

import pytest

from shared_core.clients import HTTPClient, ServiceHTTPError
from shared_core.service_clients import clear_clients, client_for, get_resource


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


def test_get_resource_unwraps_the_envelope(httpserver):
    httpserver.expect_request("/api/v1/users/7").respond_with_json({"data": {"id": 7}, "meta": {}})
    client = HTTPClient(httpserver.url_for("/"), retries=0)
    assert get_resource(client, "api/v1/users/7") == {"id": 7}


def test_get_resource_accepts_a_bare_object(httpserver):
    httpserver.expect_request("/things/1").respond_with_json({"id": 1})
    assert get_resource(HTTPClient(httpserver.url_for("/"), retries=0), "things/1") == {"id": 1}


def test_get_resource_is_none_on_404(httpserver):
    httpserver.expect_request("/things/2").respond_with_json({"code": "not_found"}, status=404)
    assert get_resource(HTTPClient(httpserver.url_for("/"), retries=0), "things/2") is None


def test_get_resource_raises_other_errors(httpserver):
    httpserver.expect_request("/things/3").respond_with_json({"code": "conflict"}, status=409)
    with pytest.raises(ServiceHTTPError) as caught:
        get_resource(HTTPClient(httpserver.url_for("/"), retries=0), "things/3")
    assert caught.value.status == 409
