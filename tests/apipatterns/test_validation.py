"""apipatterns.validation: validate_request returns data or the envelope's errors list."""

from __future__ import annotations

from apipatterns import validate_request
from tests.apitest.views import OrderSerializer

VALID = {"customer": "Ann", "items": [{"email": "a@example.com", "quantity": 2}]}


def test_valid_data_with_a_class():
    data, errors = validate_request(OrderSerializer, VALID)
    assert errors == [] and data["customer"] == "Ann"


def test_invalid_data_gives_pointer_items():
    data, errors = validate_request(
        OrderSerializer, {"items": [{"email": "a@example.com", "quantity": 1}, {"email": "x"}]}
    )
    assert data is None
    assert {e["pointer"] for e in errors} == {"#/customer", "#/items/1/email", "#/items/1/quantity"}


def test_with_an_instance_reused():
    serializer = OrderSerializer()
    assert validate_request(serializer, {})[1]
    data, errors = validate_request(serializer, VALID)
    assert errors == [] and data["items"][0]["quantity"] == 2


def test_not_a_dict():
    data, errors = validate_request(OrderSerializer, ["not", "a", "dict"])
    assert data is None and errors[0]["pointer"] == "#" and errors[0]["code"] == "invalid"
