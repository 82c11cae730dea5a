"""apipatterns.openapi + apipatterns.urls: the schema at /api/schema/ documents the envelope
and the problem responses for every operation."""

from __future__ import annotations

import pytest
import yaml

from tests.apipatterns.conftest import problem

pytestmark = [pytest.mark.urls("tests.apitest.urls"), pytest.mark.django_db]


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_problem_schema_is_a_component(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {
        "type",
        "title",
        "status",
        "detail",
        "code",
        "request_id",
        "errors",
    }
    assert "ProblemError" in schema["components"]["schemas"]


def test_every_operation_documents_problem_responses(schema):
    count = 0
    for path, method, operation in operations(schema):
        count += 1
        for status in ("400", "401", "403", "404", "429", "500"):
            content = operation["responses"][status]["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (path, method, status)
        if "requestBody" in operation:
            assert "415" in operation["responses"] and "413" in operation["responses"]
    assert count > 5


def test_success_bodies_are_enveloped(schema):
    detail = schema["paths"]["/drf/widgets/{id}"]["get"]["responses"]["200"]
    body = detail["content"]["application/json"]["schema"]
    assert body["required"] == ["data", "meta"]
    assert body["properties"]["data"] == {"$ref": "#/components/schemas/Widget"}
    assert body["properties"]["meta"] == {"$ref": "#/components/schemas/ResponseMeta"}


def resolve(schema, node):
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_paginated_lists_are_enveloped_once_with_page_meta(schema):
    listing = schema["paths"]["/drf/widgets"]["get"]
    body = resolve(schema, listing["responses"]["200"]["content"]["application/json"]["schema"])
    assert body["required"] == ["data", "meta"]
    assert body["properties"]["data"]["type"] == "array"
    pagination = body["properties"]["meta"]["properties"]["pagination"]
    assert "total" in pagination["properties"]
    assert {p["name"] for p in listing["parameters"]} >= {"page", "per_page"}
    cursor = schema["paths"]["/drf/widgets-cursor"]["get"]["responses"]["200"]
    cursor_body = resolve(schema, cursor["content"]["application/json"]["schema"])
    cursor_meta = cursor_body["properties"]["meta"]
    assert "next_cursor" in cursor_meta["properties"]["pagination"]["properties"]


def test_versioned_paths_are_listed(schema):
    assert "/api/v1/ping" in schema["paths"]


def test_no_internal_marks_are_left(client):
    assert b"x-apipatterns" not in client.get("/api/schema/").content


@pytest.mark.parametrize("accept", ["", "application/vnd.oai.openapi", "application/yaml"])
def test_wrong_method_on_the_schema_is_a_json_problem_whatever_format_it_serves(client, accept):
    # The schema view renders YAML; its errors are still problem+json, and the body is JSON.
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.post("/api/schema/", **headers)

    body = problem(response, 405, "method_not_allowed")
    assert response.content.startswith(b"{")
    assert "GET" in response["Allow"]
    assert "POST" not in body["detail"]
