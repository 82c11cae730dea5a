"""apipatterns.serializers.FieldsOnceMixin: fields built once per class, never shared."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from rest_framework import serializers

from apipatterns.serializers import FieldsOnceMixin
from tests.apitest.models import Widget

pytestmark = pytest.mark.django_db

FIELDS = ["id", "name", "quantity", "created_at", "label"]


class PlainWidgetSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = Widget
        fields = FIELDS

    def get_label(self, widget: Widget) -> str:
        return f"{widget.name} x{widget.quantity}"


class OnceWidgetSerializer(FieldsOnceMixin, PlainWidgetSerializer):
    pass


class CountingWidgetSerializer(FieldsOnceMixin, serializers.ModelSerializer):
    """Counts how often DRF builds a model field (``build_field`` is called per model field)."""

    builds = 0

    class Meta:
        model = Widget
        fields = ["id", "name", "quantity"]

    def build_field(self, *args: Any, **kwargs: Any) -> Any:
        type(self).builds += 1
        return super().build_field(*args, **kwargs)


def test_the_model_fields_are_built_once_for_many_instances():
    CountingWidgetSerializer.builds = 0
    for _ in range(5):
        assert set(CountingWidgetSerializer().fields) == {"id", "name", "quantity"}
    assert CountingWidgetSerializer.builds == 3


def test_a_changed_setting_builds_the_fields_again():
    CountingWidgetSerializer().fields
    CountingWidgetSerializer.builds = 0
    with override_settings(REST_FRAMEWORK={"COERCE_DECIMAL_TO_STRING": False}):
        CountingWidgetSerializer().fields
        CountingWidgetSerializer().fields
    assert CountingWidgetSerializer.builds == 3


def test_no_field_object_is_shared_between_instances():
    first, second = OnceWidgetSerializer(), OnceWidgetSerializer()
    for name in FIELDS:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first
        assert second.fields[name].parent is second


def test_output_is_the_plain_model_serializers():
    widget = Widget.objects.create(name="bolt", quantity=3)
    assert OnceWidgetSerializer(widget).data == PlainWidgetSerializer(widget).data
    assert OnceWidgetSerializer(widget).data["label"] == "bolt x3"
    many = [widget, Widget.objects.create(name="nut")]
    assert OnceWidgetSerializer(many, many=True).data == PlainWidgetSerializer(many, many=True).data


def test_validation_is_the_plain_model_serializers():
    Widget.objects.create(name="bolt")
    for data in ({"name": "bolt"}, {"name": "n" * 51, "quantity": "many"}, {"name": "ok"}):
        once, plain = OnceWidgetSerializer(data=data), PlainWidgetSerializer(data=data)
        assert once.is_valid() == plain.is_valid()
        assert once.errors == plain.errors
        assert [e.code for errors in once.errors.values() for e in errors] == [
            e.code for errors in plain.errors.values() for e in errors
        ]
    saved = OnceWidgetSerializer(data={"name": "washer", "quantity": 2})
    assert saved.is_valid(), saved.errors
    assert saved.save().quantity == 2
