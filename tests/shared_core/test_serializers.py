"""shared_core.serializers: unique_among_active in DRF ModelSerializers, a 400 with a pointer."""

from __future__ import annotations

import json

import pytest
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory

from shared_core.serializers import SoftDeleteModelSerializer, UniqueAmongActiveValidator
from tests.softdelete.models import Author, Edition

pytestmark = pytest.mark.django_db


class AuthorSerializer(SoftDeleteModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email"]


class EditionSerializer(SoftDeleteModelSerializer):
    class Meta:
        model = Edition
        fields = ["id", "book", "number"]


class PlainAuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email"]


def test_plain_model_serializer_misses_the_constraint_which_is_why_this_module_exists(author):
    """DRF skips a unique constraint whose condition names a field it does not write."""
    assert PlainAuthorSerializer(data={"name": "X", "email": author.email}).is_valid()


def test_a_value_taken_by_an_active_row_is_a_field_error(author):
    serializer = AuthorSerializer(data={"name": "Copy", "email": author.email})
    assert not serializer.is_valid()
    assert serializer.errors == {"email": ["Author with this Email already exists."]}
    assert serializer.errors["email"][0].code == "unique"


def test_a_value_held_only_by_a_deleted_row_is_accepted(author):
    author.delete()
    serializer = AuthorSerializer(data={"name": "Again", "email": author.email})
    assert serializer.is_valid(), serializer.errors
    assert serializer.save().pk != author.pk


def test_updating_the_row_itself_is_not_a_duplicate_and_does_not_touch_the_instance(author):
    other = Author.objects.create(name="Bo", email="bo@example.com")
    same = AuthorSerializer(author, data={"name": "Ada L.", "email": author.email})
    assert same.is_valid(), same.errors
    taken = AuthorSerializer(author, data={"email": other.email}, partial=True)
    assert not taken.is_valid()
    assert list(taken.errors) == ["email"]
    assert author.email == "ada@example.com"  # the validator worked on a copy


def test_a_partial_update_without_the_field_is_checked_with_the_stored_value(author):
    serializer = AuthorSerializer(author, data={"name": "Only the name"}, partial=True)
    assert serializer.is_valid(), serializer.errors


def test_a_two_field_constraint_is_a_non_field_error(library):
    book = library["books"][0]
    Edition.objects.create(book=book, number=1)
    serializer = EditionSerializer(data={"book": str(book.pk), "number": 1})
    assert not serializer.is_valid()
    assert serializer.errors == {
        "non_field_errors": ["Edition with this Book and Number already exists."]
    }
    assert EditionSerializer(data={"book": str(book.pk), "number": 2}).is_valid()


def test_meta_validators_replace_the_automatic_ones(author):
    class NoChecks(SoftDeleteModelSerializer):
        class Meta:
            model = Author
            fields = ["name", "email"]
            validators = []

    assert NoChecks(data={"name": "X", "email": author.email}).is_valid()
    validators = AuthorSerializer().get_validators()
    assert [type(v) for v in validators] == [UniqueAmongActiveValidator]


class AuthorCreate(generics.CreateAPIView):
    serializer_class = AuthorSerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    queryset = Author.objects.all()


def test_the_api_answers_400_with_a_pointer_at_the_field(author):
    request = APIRequestFactory().post(
        "/authors", {"name": "Copy", "email": author.email}, format="json"
    )
    response = AuthorCreate.as_view()(request)
    response.render()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = json.loads(response.content)
    assert body["code"] == "validation_error"
    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [("#/email", "unique")]
    assert Author.objects.count() == 1
