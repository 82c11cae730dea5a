"""Django REST framework support for :class:`shared_core.models.BaseModel`.

DRF builds its uniqueness validators from a model's constraints only when the serializer has
every field the constraint's condition names. A :func:`~shared_core.models.unique_among_active`
constraint's condition names ``deleted_at``, which no serializer writes, so DRF skips it and a
duplicate reaches the database (an ``IntegrityError``). :class:`UniqueAmongActiveValidator` runs
the model's own constraint check instead (the same one ``full_clean()``, model forms and the
admin use), and :class:`SoftDeleteModelSerializer` adds one per constraint automatically::

    class AuthorSerializer(SoftDeleteModelSerializer):
        class Meta:
            model = Author
            fields = ["id", "name", "email"]

A taken value is then a ``400`` whose error points at the field (``{"email": ["Author with this
Email already exists."]}``, code ``unique``); a constraint over several fields is reported under
``non_field_errors``, as DRF's ``UniqueTogetherValidator`` does.

This module imports DRF; the rest of ``shared_core`` does not need it.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, router
from rest_framework import serializers
from rest_framework.settings import api_settings

from shared_core.models import ActiveUniqueConstraint

__all__ = ["SoftDeleteModelSerializer", "UniqueAmongActiveValidator"]

_SOFT_DELETE_COLUMNS = {"deleted_at", "deletion_batch"}


class UniqueAmongActiveValidator:
    """Serializer-level validator for one ``unique_among_active`` constraint.

    Builds the row the serializer would write (the instance's values under the validated data
    on update; on create, the fields the serializer does not write are left out of the check,
    as a model form leaves out fields it does not show) and calls the constraint's
    ``validate()``. Errors of a one-field constraint are reported on that field.
    """

    requires_context = True

    def __init__(self, constraint: models.UniqueConstraint) -> None:
        self.constraint = constraint

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({self.constraint.name!r})>"

    def __call__(self, attrs: dict[str, Any], serializer: serializers.BaseSerializer) -> None:
        model = serializer.Meta.model
        instance = serializer.instance
        concrete = {f.name for f in model._meta.concrete_fields if not f.primary_key}
        # A detached copy on update (Django's pickling copies the state), so nothing the
        # validator sets leaks into the instance the view holds.
        row = model() if instance is None else copy.copy(instance)
        for name, value in attrs.items():
            if name in concrete:
                setattr(row, name, value)
        exclude = set()
        if instance is None:
            exclude = {name for name in concrete if name not in attrs} - _SOFT_DELETE_COLUMNS
        try:
            self.constraint.validate(
                model, row, exclude=exclude, using=router.db_for_write(model, instance=row)
            )
        except DjangoValidationError as exc:
            messages = list(exc.messages)
            code = getattr(exc, "code", None) or "unique"
            fields = self.constraint.fields
            key = fields[0] if len(fields) == 1 and fields[0] in serializer.fields else None
            if key is None:
                key = api_settings.NON_FIELD_ERRORS_KEY
            raise serializers.ValidationError({key: messages}, code=code) from exc


class SoftDeleteModelSerializer(serializers.ModelSerializer):
    """``ModelSerializer`` that also validates every ``unique_among_active`` constraint."""

    def get_validators(self) -> list[Any]:
        """DRF's validators plus one :class:`UniqueAmongActiveValidator` per constraint."""
        validators = list(super().get_validators())
        if getattr(getattr(self, "Meta", None), "validators", None) is not None:
            return validators  # the serializer chose its validators itself
        model = self.Meta.model
        for parent in [model, *model._meta.get_parent_list()]:
            for constraint in parent._meta.constraints:
                if isinstance(constraint, ActiveUniqueConstraint):
                    validators.append(UniqueAmongActiveValidator(constraint))
        return validators
