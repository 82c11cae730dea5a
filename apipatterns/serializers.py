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
"""

from __future__ import annotations

import copy
from typing import Any
from weakref import WeakKeyDictionary

from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["FieldsOnceMixin"]

#: serializer class -> the unbound fields its ``get_fields()`` returned.
_FIELD_SETS: WeakKeyDictionary[type, dict[str, Any]] = WeakKeyDictionary()


class FieldsOnceMixin:
    """Build a serializer class's fields once; every instance gets deep copies of them.

    Put it before ``serializers.ModelSerializer`` (or ``Serializer``) in the bases. Only for
    serializers whose field set is the same for every instance: a ``get_fields()``,
    ``get_field_names()`` or ``build_field()`` override that reads ``self.instance``,
    ``self.context`` or the request must not use it.
    """

    def get_fields(self) -> dict[str, Any]:
        """Deep copies of the class's field set (built on the first call)."""
        cls = type(self)
        fields = _FIELD_SETS.get(cls)
        if fields is None:
            fields = super().get_fields()  # type: ignore[misc]
            _FIELD_SETS[cls] = fields
        return copy.deepcopy(fields)


@receiver(setting_changed)
def _forget_field_sets(**kwargs: Any) -> None:
    """A changed setting (``REST_FRAMEWORK``, a language, …) may change how fields are built."""
    _FIELD_SETS.clear()
