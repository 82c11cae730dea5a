"""apipatterns.query.validate_query: bad query parameters are a 400 naming each parameter."""

from unittest import mock

import pytest
from django.http import QueryDict
from rest_framework import serializers

from apipatterns.exceptions import RequestValidationError
from apipatterns.query import validate_query, validates_nothing_to_empty


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


def test_no_parameters_give_an_empty_result_without_running_the_serializer():
    with mock.patch.object(
        serializers.Serializer,
        "to_internal_value",
        autospec=True,
        side_effect=serializers.Serializer.to_internal_value,
    ) as runs:
        assert validate_query(Query, QueryDict()) == {}
        assert runs.call_count == 0
        assert validate_query(Query, QueryDict("status=open")) == {"status": "open"}
        assert runs.call_count == 1


def test_parameters_the_serializer_does_not_declare_are_left_alone():
    # The pagination reads its own parameters from the same query string.
    assert validate_query(Query, QueryDict("per_page=2&page=3")) == {}
    with pytest.raises(RequestValidationError) as info:
        validate_query(Query, QueryDict("per_page=2&status=bogus"))
    assert [item["parameter"] for item in info.value.errors] == ["status"]


class WithDefault(serializers.Serializer):
    roles = serializers.CharField(required=False, default="")

    def validate_roles(self, value: str) -> list[str]:
        return [role for role in value.split(",") if role]


class WithRequired(serializers.Serializer):
    ticket_id = serializers.UUIDField()


class WithBoolean(serializers.Serializer):
    mine = serializers.BooleanField(required=False)


class WithMultipleChoice(serializers.Serializer):
    tags = serializers.MultipleChoiceField(choices=["a", "b"], required=False)


class WithValidate(Query):
    def validate(self, attrs: dict) -> dict:
        return {**attrs, "seen": True}


class WithContextValidate(Query):
    def validate(self, attrs: dict) -> dict:
        if self.context.get("strict"):
            raise serializers.ValidationError({"status": "Pick a status."})
        return attrs


class ContextField(serializers.CharField):
    def get_value(self, dictionary):
        return self.context.get("default_owner", super().get_value(dictionary))


class WithOwnField(serializers.Serializer):
    owner = ContextField(required=False)


class WithMetaValidators(Query):
    class Meta:
        validators = [lambda attrs: None]


class WithInit(Query):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].required = True


@pytest.mark.parametrize(
    ("schema", "context", "outcome"),
    [
        (WithDefault, {}, {"roles": []}),
        (WithRequired, {}, ["ticket_id"]),
        (WithBoolean, {}, {"mine": False}),
        (WithMultipleChoice, {}, {"tags": []}),
        (WithValidate, {}, {"seen": True}),
        (WithContextValidate, {"strict": True}, ["status"]),
        (WithOwnField, {"default_owner": "me"}, {"owner": "me"}),
        (WithMetaValidators, {}, {}),
        (WithInit, {}, ["status"]),
    ],
)
def test_no_parameters_still_go_through_a_serializer_that_makes_something_of_them(
    schema, context, outcome
):
    serializer = schema(data=QueryDict(), context=context)
    assert serializer.is_valid() == isinstance(outcome, dict)
    if isinstance(outcome, dict):
        assert validate_query(schema, QueryDict(), context=context) == outcome
        assert dict(serializer.validated_data) == outcome
    else:
        with pytest.raises(RequestValidationError) as info:
            validate_query(schema, QueryDict(), context=context)
        assert [item["parameter"] for item in info.value.errors] == outcome
    assert not validates_nothing_to_empty(schema)


def test_no_parameters_take_the_shortcut_only_for_drfs_own_optional_fields():
    assert validates_nothing_to_empty(Query)

    class ReadOnlyToo(Query):
        created = serializers.DateTimeField(read_only=True)

    assert validates_nothing_to_empty(ReadOnlyToo)
