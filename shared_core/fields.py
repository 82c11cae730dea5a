"""Timestamp fields of :class:`shared_core.models.BaseModel`.

They work like ``auto_now_add``/``auto_now`` (Django fills them in ``Field.pre_save``, so
``save()``, ``create()`` and ``bulk_create()`` all get them), with two differences that plain
``auto_now`` cannot give: at insert ``updated_at`` equals ``created_at`` exactly (one clock
reading, not two), and an explicit value is kept at insert (imported rows keep their timestamps).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class CreatedAtField(models.DateTimeField):
    """Set once, at insert, unless a value was given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if add and value is None:
            value = timezone.now()
            setattr(model_instance, self.attname, value)
        return value


class UpdatedAtField(models.DateTimeField):
    """Set on every save; at insert it copies ``created_at_field`` so both are equal."""

    def __init__(self, *args: Any, created_at_field: str = "created_at", **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        self.created_at_field = created_at_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        if self.created_at_field != "created_at":
            kwargs["created_at_field"] = self.created_at_field
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if add:
            # CreatedAtField is declared first, so its pre_save already ran for this insert.
            if value is None:
                value = getattr(model_instance, self.created_at_field, None) or timezone.now()
        else:
            value = timezone.now()
        setattr(model_instance, self.attname, value)
        return value
