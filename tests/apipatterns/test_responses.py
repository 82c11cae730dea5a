"""apipatterns.responses: success_response / error_response in DRF and plain Django views."""

from __future__ import annotations

import pytest

from apipatterns import error_response, success_response
from tests.apipatterns.conftest import envelope, problem

pytestmark = [pytest.mark.urls("tests.apitest.urls"), pytest.mark.django_db]


def test_success_response_in_a_drf_view(client):
    body = envelope(client.get("/drf/envelopes"), 202)
    assert body["data"] == {"made": "by hand"}
    assert body["meta"]["note"] == "x"


def test_error_response_in_a_drf_view(client):
    body = problem(client.delete("/drf/envelopes"), 409, "ticket_closed")
    assert body["detail"] == "Ticket is closed."


def test_success_response_in_a_plain_view(client):
    assert envelope(client.get("/plain/envelopes"))["data"] == [1, 2, 3]


def test_error_response_in_a_plain_view(client):
    body = problem(client.get("/plain/envelopes?error=1"), 400, "nope")
    assert body["errors"] == [{"code": "x", "detail": "y", "parameter": "q"}]


def test_responses_render_standalone():
    response = success_response({"a": 1}, status=201).render()
    assert response.status_code == 201 and b'"data":{"a":1}' in response.content
    response = error_response(422, "bad", "Bad.", headers={"Retry-After": "3"}).render()
    assert response["Content-Type"] == "application/problem+json"
    assert b'"code":"bad"' in response.content and b'"status":422' in response.content
    assert b'"detail":"Bad."' in response.content and response["Retry-After"] == "3"


def test_error_response_defaults_to_the_status_code_and_detail():
    response = error_response(404).render()
    assert b'"code":"not_found"' in response.content
    assert b'"detail":"The requested resource was not found."' in response.content
