"""Django app configuration for ``healthchecks``."""

from django.apps import AppConfig


class HealthChecksConfig(AppConfig):
    """Health checks."""

    name = "healthchecks"
    verbose_name = "Health checks"
    default_auto_field = "django.db.models.BigAutoField"
