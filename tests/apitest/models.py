"""Models for the apipatterns tests: a unique name (IntegrityError races) and a clean() rule."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models


class Widget(models.Model):
    name = models.CharField(max_length=50, unique=True)
    quantity = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def clean(self):
        errors = {}
        if self.quantity < 0:
            errors["quantity"] = ValidationError("Quantity cannot be negative.", code="negative")
        if self.name.startswith("x"):
            errors[NON_FIELD_ERRORS] = ValidationError(
                "Names cannot start with x.", code="bad_name"
            )
        if errors:
            raise ValidationError(errors)
