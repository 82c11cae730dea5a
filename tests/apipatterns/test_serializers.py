"""apipatterns.serializers.FieldsOnceMixin: fields built once per class, never shared."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone
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


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    tokyo = serializers.DateTimeField(default_timezone=ZoneInfo("Asia/Tokyo"), required=False)


class OnceEventSerializer(FieldsOnceMixin, EventSerializer):
    pass


def test_datetimes_are_drfs_in_a_zone_a_view_activates_before_serializing():
    widgets = [Widget.objects.create(name="bolt"), Widget.objects.create(name="nut")]
    in_utc = OnceWidgetSerializer(widgets, many=True).data  # the class's fields exist by now
    serializer = OnceWidgetSerializer(widgets, many=True)
    timezone.activate(ZoneInfo("America/Sao_Paulo"))
    try:
        once = serializer.data
        plain = PlainWidgetSerializer(widgets, many=True).data
        field = serializers.DateTimeField()
        expected = [field.to_representation(widget.created_at) for widget in widgets]
    finally:
        timezone.deactivate()
    assert once == plain
    assert [item["created_at"] for item in once] == expected
    assert once[0]["created_at"].endswith("-03:00") and in_utc[0]["created_at"].endswith("Z")
    assert OnceWidgetSerializer(widgets, many=True).data == in_utc


def test_the_current_zone_is_looked_up_once_per_list_not_per_value(monkeypatch):
    widgets = [Widget.objects.create(name=f"w{i}") for i in range(3)]
    lookups = []
    current = timezone.get_current_timezone

    def counting() -> Any:
        lookups.append(1)
        return current()

    monkeypatch.setattr(timezone, "get_current_timezone", counting)
    with timezone.override("Europe/Paris"):
        data = OnceWidgetSerializer(widgets, many=True).data
    assert len(lookups) == 1
    assert all(item["created_at"].endswith(("+01:00", "+02:00")) for item in data)


def test_an_explicit_default_timezone_wins_over_the_active_zone():
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with timezone.override("America/Sao_Paulo"):
        once = OnceEventSerializer({"at": moment, "tokyo": moment}).data
        plain = EventSerializer({"at": moment, "tokyo": moment}).data
    assert once == plain
    assert once == {"at": "2026-03-01T09:00:00-03:00", "tokyo": "2026-03-01T21:00:00+09:00"}


def test_naive_input_is_made_aware_in_the_active_zone():
    data = {"at": "2026-03-01T12:00:00", "tokyo": "2026-03-01T12:00:00"}
    with timezone.override("America/Sao_Paulo"):
        once, plain = OnceEventSerializer(data=data), EventSerializer(data=data)
        assert once.is_valid() and plain.is_valid()
    parsed = {name: value.isoformat() for name, value in once.validated_data.items()}
    assert parsed == {name: value.isoformat() for name, value in plain.validated_data.items()}
    assert parsed == {"at": "2026-03-01T12:00:00-03:00", "tokyo": "2026-03-01T12:00:00+09:00"}


@override_settings(USE_TZ=False)
def test_without_use_tz_datetimes_stay_naive_as_drfs():
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert OnceEventSerializer({"at": moment}).data == EventSerializer({"at": moment}).data
    assert OnceEventSerializer({"at": moment}).data["at"] == "2026-03-01T12:00:00"


class TokyoByRule(serializers.DateTimeField):
    def default_timezone(self) -> Any:
        return ZoneInfo("Asia/Tokyo") if timezone.get_current_timezone_name() != "UTC" else None


class OnceRuleSerializer(FieldsOnceMixin, serializers.Serializer):
    at = TokyoByRule()


def test_a_field_with_its_own_default_timezone_rule_keeps_asking_it():
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    serializer = OnceRuleSerializer({"at": moment})
    field = serializer.fields["at"]
    assert field.to_representation(moment) == "2026-03-01T12:00:00"
    with timezone.override("Europe/Paris"):
        assert field.to_representation(moment) == "2026-03-01T21:00:00+09:00"
