"""Django app configuration for ``shared_core``."""

from django.apps import AppConfig


class SharedCoreConfig(AppConfig):
    """Shared core."""

    name = "shared_core"
    verbose_name = "Shared core"
    default_auto_field = "django.db.models.BigAutoField"
