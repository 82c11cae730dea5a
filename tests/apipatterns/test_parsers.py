"""apipatterns.parsers: malformed, deep, oversized and wrongly typed bodies stay 4xx."""

from __future__ import annotations

import json

import pytest

from tests.apipatterns.conftest import envelope, problem

pytestmark = [pytest.mark.urls("tests.apitest.urls"), pytest.mark.django_db]


@pytest.mark.parametrize("body", ["{bad", '{"a": 1,}', "[1, 2", '{"a": NaN}', "\x00", "  "])
def test_malformed_json_is_400_parse_error_with_generic_detail(client, body):
    response = client.post("/drf/ping", body, content_type="application/json")
    result = problem(response, 400, "parse_error")
    assert result["detail"] == "The request body is not valid JSON."
    assert "line 1" not in response.content.decode()  # no parser internals


def test_invalid_utf8_is_400_parse_error(client):
    response = client.post("/drf/ping", b'{"a": "\xff"}', content_type="application/json")
    problem(response, 400, "parse_error")


@pytest.mark.parametrize("depth", [65, 1_000, 100_000])
def test_deeply_nested_json_is_400(client, depth):
    body = "[" * depth + "]" * depth
    response = client.post("/drf/ping", body, content_type="application/json")
    result = problem(response, 400, "parse_error")
    assert result["detail"] == "The JSON body is nested too deeply."


def test_nested_dicts_are_limited_too(client):
    body = '{"a":' * 1_000 + "1" + "}" * 1_000
    response = client.post("/drf/ping", body, content_type="application/json")
    problem(response, 400, "parse_error")


def test_nesting_within_the_limit_is_accepted(client):
    body = "[" * 64 + "]" * 64
    response = client.post("/drf/ping", body, content_type="application/json")
    assert envelope(response)["data"]["received"] is not None


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "image/png", "text/<b>evil</b>"]
)
def test_wrong_content_type_is_415_with_a_detail_that_does_not_echo_it(client, content_type):
    response = client.post("/drf/ping", "<a/>", content_type=content_type)
    body = problem(response, 415, "unsupported_media_type")
    assert body["detail"] == "The request body's media type is not supported."
    assert content_type not in response.content.decode()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_body_over_limit_is_413(client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = json.dumps({"a": "x" * 1_000})
    response = client.post("/drf/ping", body, content_type=content_type)
    problem(response, 413, "payload_too_large")


def test_body_over_limit_with_a_lying_content_length_is_413(client, settings):
    # Content-Length says small, the stream is bigger: the parser reads at most limit + 1.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    import io

    from apipatterns.exceptions import PayloadTooLarge
    from apipatterns.parsers import read_limited

    with pytest.raises(PayloadTooLarge):
        read_limited(io.BytesIO(b"x" * 5_000), {"request": type("R", (), {"META": {}})()})


def test_body_at_the_limit_is_accepted(client, settings):
    body = json.dumps({"a": "x" * 100})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    response = client.post("/drf/ping", body, content_type="application/json")
    assert envelope(response)["data"] == {"received": {"a": "x" * 100}}


def test_form_bodies_still_parse(client):
    response = client.post("/drf/ping", "a=1&b=2", content_type="application/x-www-form-urlencoded")
    assert envelope(response)["data"]["received"] == {"a": "1", "b": "2"}


def test_lone_surrogate_is_escaped_not_a_500(client):
    response = client.post("/drf/ping", '{"a": "\\ud800"}', content_type="application/json")
    assert response.status_code == 200
    assert b"\\ud800" in response.content
