"""Django app configuration for ``shared_core``."""

from django.apps import AppConfig
from django.core import checks


class SharedCoreConfig(AppConfig):
    """Shared core."""

    name = "shared_core"
    verbose_name = "Shared core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from shared_core.checks import check_base_models, check_service_urls

        # Tagged "models" so `manage.py check --tag models` includes it, like Django's own.
        checks.register(check_base_models, checks.Tags.models)
        checks.register(check_service_urls)
