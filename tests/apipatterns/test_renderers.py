"""apipatterns.renderers: the success envelope around plain DRF responses."""

from __future__ import annotations

import json

import pytest
from rest_framework.response import Response

from apipatterns.renderers import EnvelopeJSONRenderer
from shared_core.request_id import request_id_context
from tests.apipatterns.conftest import envelope, problem

pytestmark = [pytest.mark.urls("tests.apitest.urls"), pytest.mark.django_db]


def render(data, status=200, **attrs):
    response = Response(data, status=status)
    for name, value in attrs.items():
        setattr(response, name, value)
    with request_id_context("rid-1"):
        content = EnvelopeJSONRenderer().render(data, "application/json", {"response": response})
    return response, content


def test_success_is_wrapped_with_request_id():
    _, content = render({"a": 1})
    assert json.loads(content) == {"data": {"a": 1}, "meta": {"request_id": "rid-1"}}


def test_lists_and_null_are_wrapped():
    assert json.loads(render([1, 2])[1])["data"] == [1, 2]
    assert json.loads(render(None, status=200)[1]) == {
        "data": None,
        "meta": {"request_id": "rid-1"},
    }


def test_204_has_no_body():
    assert render(None, status=204)[1] == b""


def test_extra_meta_is_merged():
    _, content = render([], envelope_meta={"pagination": {"page": 1}})
    assert json.loads(content)["meta"] == {"request_id": "rid-1", "pagination": {"page": 1}}


def test_problem_responses_pass_through():
    data = {"type": "about:blank", "status": 409, "code": "conflict"}
    _, content = render(data, status=409, is_problem=True)
    assert json.loads(content) == data


def test_hand_built_detail_error_becomes_a_problem():
    response, content = render({"detail": "Gone fishing."}, status=503)
    body = json.loads(content)
    assert response["Content-Type"] == "application/problem+json"
    assert body["detail"] == "Gone fishing." and body["code"] == "upstream_unavailable"
    assert body["request_id"] == "rid-1"


def test_non_ascii_is_utf8_not_escaped():
    _, content = render({"name": "Zoë"})
    assert "Zoë".encode() in content


def test_view_response_through_the_stack(client):
    body = envelope(client.get("/api/v1/ping"))
    assert body["data"] == {"pong": True, "version": "v1"}


def test_unknown_api_version_is_a_404_problem(client):
    problem(client.get("/api/v2/ping"), 404, "not_found")
    problem(client.get("/api/v1.1/ping"), 404, "not_found")
