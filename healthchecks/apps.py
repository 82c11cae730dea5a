"""Django app configuration for ``healthchecks``."""

from django.apps import AppConfig


class HealthChecksConfig(AppConfig):
    """Health checks."""

    name = "healthchecks"
    verbose_name = "Health checks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the settings checks and the setting_changed receiver.
        from healthchecks import checks, system_checks  # noqa: F401
