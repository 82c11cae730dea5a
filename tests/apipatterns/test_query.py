"""apipatterns.query.validate_query: bad query parameters are a 400 naming each parameter."""

import pytest
from django.http import QueryDict
from rest_framework import serializers

from apipatterns.exceptions import RequestValidationError
from apipatterns.query import validate_query


class Query(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", "closed"], required=False)
    owner = serializers.UUIDField(required=False)


def test_valid_parameters_come_back_typed():
    data = validate_query(
        Query, QueryDict("status=open&owner=6f1c0a7e-1b0a-4c55-9a7a-5b9f5b2a8f11")
    )
    assert data["status"] == "open"
    assert str(data["owner"]) == "6f1c0a7e-1b0a-4c55-9a7a-5b9f5b2a8f11"


def test_each_bad_parameter_is_named():
    with pytest.raises(RequestValidationError) as info:
        validate_query(Query, QueryDict("status=bogus&owner=x"))
    error = info.value
    assert error.status_code == 400 and error.code == "validation_error"
    assert sorted(item["parameter"] for item in error.errors) == ["owner", "status"]
    assert all("pointer" not in item and item["code"] for item in error.errors)
    assert str(error.detail) == "A query parameter is invalid."
