"""apipatterns.validation: validate_request returns validated data or raises the 400 problem."""

from __future__ import annotations

import pytest

from apipatterns import validate_request
from apipatterns.exceptions import RequestValidationError
from apipatterns.handlers import problem_for_exception
from tests.apitest.views import OrderSerializer

VALID = {"customer": "Ann", "items": [{"email": "a@example.com", "quantity": 2}]}


def test_valid_data_with_a_class():
    assert validate_request(OrderSerializer, VALID)["customer"] == "Ann"


def test_invalid_data_raises_pointer_items():
    with pytest.raises(RequestValidationError) as caught:
        validate_request(
            OrderSerializer, {"items": [{"email": "a@example.com", "quantity": 1}, {"email": "x"}]}
        )
    errors = caught.value.errors
    assert {e["pointer"] for e in errors} == {"#/customer", "#/items/1/email", "#/items/1/quantity"}


def test_the_raised_error_renders_as_the_validation_problem():
    with pytest.raises(RequestValidationError) as caught:
        validate_request(OrderSerializer, {})
    problem, _headers = problem_for_exception(caught.value)
    assert problem["status"] == 400 and problem["code"] == "validation_error"
    assert problem["detail"] == "The request contains invalid data."
    assert problem["errors"] == caught.value.errors


def test_with_an_instance_reused():
    serializer = OrderSerializer()
    with pytest.raises(RequestValidationError):
        validate_request(serializer, {})
    assert validate_request(serializer, VALID)["items"][0]["quantity"] == 2


def test_not_a_dict():
    with pytest.raises(RequestValidationError) as caught:
        validate_request(OrderSerializer, ["not", "a", "dict"])
    errors = caught.value.errors
    assert errors[0]["pointer"] == "#" and errors[0]["code"] == "invalid"
