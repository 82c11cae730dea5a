"""apipatterns.service_calls: reading another service's enveloped resources."""

import pytest

from apipatterns.service_calls import get_resource
from shared_core.http import HTTPClient, ServiceHTTPError


def test_get_resource_unwraps_the_envelope(httpserver):
    httpserver.expect_request("/api/v1/users/7").respond_with_json(
        {"data": {"id": 7}, "meta": {"request_id": "r"}}
    )
    client = HTTPClient(httpserver.url_for("/"), retries=0)
    assert get_resource(client, "api/v1/users/7") == {"id": 7}


def test_get_resource_accepts_a_bare_object(httpserver):
    httpserver.expect_request("/things/1").respond_with_json({"id": 1})
    assert get_resource(HTTPClient(httpserver.url_for("/"), retries=0), "things/1") == {"id": 1}


def test_get_resource_is_none_on_404(httpserver):
    httpserver.expect_request("/things/2").respond_with_json({"detail": "nope"}, status=404)
    assert get_resource(HTTPClient(httpserver.url_for("/"), retries=0), "things/2") is None


def test_get_resource_raises_other_errors(httpserver):
    httpserver.expect_request("/things/3").respond_with_json({"code": "conflict"}, status=409)
    with pytest.raises(ServiceHTTPError) as caught:
        get_resource(HTTPClient(httpserver.url_for("/"), retries=0), "things/3")
    assert caught.value.status == 409


def test_get_resource_is_none_for_a_non_object_body(httpserver):
    httpserver.expect_request("/things/4").respond_with_json({"data": [1, 2]})
    assert get_resource(HTTPClient(httpserver.url_for("/"), retries=0), "things/4") is None
