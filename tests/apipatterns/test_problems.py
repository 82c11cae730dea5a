"""apipatterns.problems: JSON pointers, error flattening and the problem body."""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.exceptions import ErrorDetail

from apipatterns.problems import (
    Problem,
    ProblemJSONResponse,
    build_problem,
    django_validation_items,
    flatten_errors,
    json_pointer,
    mapper_for,
    register,
    render_problem,
)
from shared_core.request_id import request_id_context


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ((), "#"),
        (("items", 1, "email"), "#/items/1/email"),
        (("a/b",), "#/a~1b"),
        (("m~n",), "#/m~0n"),
        (("~/",), "#/~0~1"),
        (("~1",), "#/~01"),  # "~1" literally: escaped ~ then 1, not a slash
        (("first name",), "#/first%20name"),
        (("",), "#/"),
        (("é",), "#/%C3%A9"),
        (("100%",), "#/100%25"),
    ],
)
def test_json_pointer_escapes_per_rfc_6901(path, pointer):
    assert json_pointer(path) == pointer


@given(st.lists(st.one_of(st.text(string.printable), st.text(), st.integers()), max_size=4))
@example(["a b", "%", "#", "?", "é", "[0]", "x\ny"])
def test_json_pointer_percent_encodes_exactly_as_quote(path):
    # Plain tokens skip quote(); every token must still come out as quote() would make it.
    tokens = (str(token).replace("~", "~0").replace("/", "~1") for token in path)
    expected = "".join("/" + quote(token, safe="!$&'()*+,;=:@-._~") for token in tokens)
    assert json_pointer(path) == "#" + expected


def test_flatten_nested_lists_and_dicts():
    detail = {
        "customer": [ErrorDetail("This field is required.", code="required")],
        "items": [{}, {"email": [ErrorDetail("Enter a valid email address.", code="invalid")]}],
        "non_field_errors": [ErrorDetail("Bad order.", code="bad_order")],
        "tags": {2: [ErrorDetail("Not valid.", code="invalid")]},
        "address": {"non_field_errors": [ErrorDetail("Incomplete.", code="incomplete")]},
    }
    assert flatten_errors(detail) == [
        {"code": "required", "detail": "This field is required.", "pointer": "#/customer"},
        {"code": "invalid", "detail": "Enter a valid email address.", "pointer": "#/items/1/email"},
        {"code": "bad_order", "detail": "Bad order.", "pointer": "#"},
        {"code": "invalid", "detail": "Not valid.", "pointer": "#/tags/2"},
        {"code": "incomplete", "detail": "Incomplete.", "pointer": "#/address"},
    ]


def test_flatten_a_top_level_list_serializer_points_into_each_item():
    # drf-standardized-errors' list-serializer scenario: one entry per item, in order.
    detail = [
        {
            "name": [ErrorDetail("This field is required.", code="required")],
            "email": [ErrorDetail("Enter a valid email address.", code="invalid")],
        },
        {"email": [ErrorDetail("Enter a valid email address.", code="invalid")]},
    ]
    assert [(e["code"], e["pointer"]) for e in flatten_errors(detail)] == [
        ("required", "#/0/name"),
        ("invalid", "#/0/email"),
        ("invalid", "#/1/email"),
    ]


def test_flatten_keeps_several_errors_of_one_field_in_order():
    detail = {
        "password": [
            ErrorDetail("This password is too short.", code="password_too_short"),
            ErrorDetail("The password is too similar.", code="password_too_similar"),
        ]
    }
    assert [(e["code"], e["pointer"]) for e in flatten_errors(detail)] == [
        ("password_too_short", "#/password"),
        ("password_too_similar", "#/password"),
    ]


def test_flatten_keeps_an_empty_message():
    assert flatten_errors({"some_field": [ErrorDetail("", code="invalid")]}) == [
        {"code": "invalid", "detail": "", "pointer": "#/some_field"}
    ]


def test_flatten_plain_strings_get_code_invalid():
    assert flatten_errors({"a": ["oops"]}) == [
        {"code": "invalid", "detail": "oops", "pointer": "#/a"}
    ]


def test_flatten_as_parameters():
    detail = {"page": [ErrorDetail("Must be positive.", code="min_value")]}
    assert flatten_errors(detail, parameters=True) == [
        {"code": "min_value", "detail": "Must be positive.", "parameter": "page"}
    ]


@pytest.mark.parametrize("count", [1, 100, 10_000])
def test_flatten_keeps_every_error(count):
    detail = {f"field{i}": [ErrorDetail("Required.", code="required")] for i in range(count)}
    items = flatten_errors(detail)
    assert len(items) == count
    assert items[-1]["pointer"] == f"#/field{count - 1}"


def test_django_validation_error_items():
    exc = ValidationError(
        {
            "quantity": ValidationError("Must be at least %(min)s.", code="min", params={"min": 1}),
            NON_FIELD_ERRORS: ValidationError("Inconsistent.", code="inconsistent"),
        }
    )
    assert django_validation_items(exc) == [
        {"code": "min", "detail": "Must be at least 1.", "pointer": "#/quantity"},
        {"code": "inconsistent", "detail": "Inconsistent.", "pointer": "#"},
    ]
    assert django_validation_items(ValidationError(["one", "two"])) == [
        {"code": "invalid", "detail": "one", "pointer": "#"},
        {"code": "invalid", "detail": "two", "pointer": "#"},
    ]


def test_build_problem_has_every_member(settings):
    with request_id_context("abc-123"):
        body = build_problem(404)
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "The requested resource was not found.",
        "code": "not_found",
        "request_id": "abc-123",
        "errors": [],
    }
    settings.API_PROBLEM_TYPE_BASE = "https://docs.example.com/problems/"
    assert build_problem(409)["type"] == "https://docs.example.com/problems/conflict"


def test_a_status_without_a_listed_code_never_gets_the_placeholder_error():
    assert build_problem(599)["code"] == "internal_error"
    assert build_problem(499)["code"] == "bad_request"
    assert build_problem(418)["code"] == "im_a_teapot"
    assert build_problem(451)["code"] == "unavailable_for_legal_reasons"


def test_problem_json_response_carries_status_body_and_headers():
    response = ProblemJSONResponse(Problem(409, "conflict", headers={"X-Thing": "3"}))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response["X-Thing"] == "3"
    assert b'"code":"conflict"' in response.content


def test_a_429_always_says_when_to_retry_in_header_and_body():
    assert Problem(429).response_headers() == {"Retry-After": "1"}
    assert Problem(429).as_dict()["retry_after"] == 1
    problem = Problem(429, "throttled", retry_after=2.1)
    assert problem.response_headers()["Retry-After"] == "3"
    assert problem.as_dict()["retry_after"] == 3


def test_other_statuses_carry_retry_after_only_when_known_and_only_as_a_header():
    assert "Retry-After" not in Problem(503).response_headers()
    problem = Problem(503, "service_unavailable", retry_after=2)
    assert problem.response_headers() == {"Retry-After": "2"}
    assert "retry_after" not in problem.as_dict()


def test_a_lone_surrogate_is_escaped_instead_of_failing():
    body = render_problem(build_problem(400, "bad_request", "\ud800"))
    assert b'"detail":"\\ud800"' in body


@pytest.fixture
def registry():
    from apipatterns import problems

    saved = dict(problems._registry)
    yield
    problems._registry.clear()
    problems._registry.update(saved)


class _Base(Exception):
    pass


class _Child(_Base):
    pass


class _Grandchild(_Child):
    pass


def test_the_most_specific_registered_class_wins(registry):
    register(_Base, lambda exc, request: Problem(409, "conflict"))

    @register(_Child)
    def child(exc, request):
        return Problem(410)

    assert mapper_for(_Base)(_Base(), None).status == 409
    assert mapper_for(_Grandchild) is child


def test_registering_a_type_again_replaces_its_mapper_also_a_builtin(registry):
    from django.http import Http404

    from apipatterns.handlers import problem_for_exception

    register(Http404, lambda exc, request: Problem(410, "gone"))
    assert problem_for_exception(Http404())[0]["code"] == "gone"


def test_an_unregistered_exception_has_no_mapper():
    assert mapper_for(_Base) is None
