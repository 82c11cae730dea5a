"""Serializers that build their field set once per class.

DRF gives every serializer instance its own fields: a plain ``Serializer`` deep-copies its
declared fields, a ``ModelSerializer`` also rebuilds every model field from the model's
metadata (``get_fields()``: field classes, kwargs, validators), for each instance, so for each
request. :class:`FieldsOnceMixin` runs ``get_fields()`` once per class and hands each instance a
deep copy of that set, the way DRF itself treats declared fields::

    class TicketSerializer(FieldsOnceMixin, serializers.ModelSerializer):
        class Meta:
            model = Ticket
            fields = ["id", "title", "status"]

Instances never share a field (each copy is re-created from the arguments the field was built
with, as ``Field.__deepcopy__`` does for declared fields), so nothing bound to one serializer
or request reaches another. The stored sets are dropped on Django's ``setting_changed`` signal
(``override_settings``), so a ``REST_FRAMEWORK`` change builds them again.

A ``DateTimeField`` without an explicit ``default_timezone`` asks Django for the current time
zone for every value it reads or writes. The copies an instance gets are given the zone that is
current when the instance's fields are built (on first use: when it first serializes or
validates, after a view's ``timezone.activate``), so it is looked up once per instance (once per
list with ``many=True``) instead of once per value; the output is the same.
"""

from __future__ import annotations

import copy
from typing import Any
from weakref import WeakKeyDictionary

from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import serializers

__all__ = ["FieldsOnceMixin"]

#: serializer class -> (the unbound fields its ``get_fields()`` returned, the names of those
#: that are ``DateTimeField``s following the current time zone).
_FIELD_SETS: WeakKeyDictionary[type, tuple[dict[str, Any], tuple[str, ...]]] = WeakKeyDictionary()


def _follows_current_timezone(field: Any) -> bool:
    """A ``DateTimeField`` without ``default_timezone`` that asks DRF's rule for every value.

    A subclass with a ``default_timezone()`` of its own keeps asking it per value.
    """
    return (
        isinstance(field, serializers.DateTimeField)
        and not hasattr(field, "timezone")
        and type(field).default_timezone is serializers.DateTimeField.default_timezone
    )


class FieldsOnceMixin:
    """Build a serializer class's fields once; every instance gets deep copies of them.

    Put it before ``serializers.ModelSerializer`` (or ``Serializer``) in the bases. Only for
    serializers whose field set is the same for every instance: a ``get_fields()``,
    ``get_field_names()`` or ``build_field()`` override that reads ``self.instance``,
    ``self.context`` or the request must not use it. Its ``DateTimeField``s without a
    ``default_timezone`` use the zone current when the instance's fields are built.
    """

    def get_fields(self) -> dict[str, Any]:
        """Deep copies of the class's field set (built on the first call)."""
        cls = type(self)
        stored = _FIELD_SETS.get(cls)
        if stored is None:
            fields = super().get_fields()  # type: ignore[misc]
            zoned = tuple(name for name, f in fields.items() if _follows_current_timezone(f))
            stored = _FIELD_SETS[cls] = (fields, zoned)
        fields, zoned = stored
        copies = copy.deepcopy(fields)
        if zoned:
            _pin_current_timezone([copies[name] for name in zoned])
        return copies


def _pin_current_timezone(fields: list[serializers.DateTimeField]) -> None:
    """Give the fields the zone ``default_timezone()`` answers now: one lookup for all."""
    current = fields[0].default_timezone()
    for field in fields:
        field.timezone = current


@receiver(setting_changed)
def _forget_field_sets(**kwargs: Any) -> None:
    """A changed setting (``REST_FRAMEWORK``, a language, …) may change how fields are built."""
    _FIELD_SETS.clear()
