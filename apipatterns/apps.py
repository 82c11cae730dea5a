"""Django app configuration for ``apipatterns``."""

from django.apps import AppConfig
from django.core import checks


class ApiPatternsConfig(AppConfig):
    """API patterns."""

    name = "apipatterns"
    verbose_name = "API patterns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apipatterns.checks import check_middleware, check_rest_framework, check_urlconf

        checks.register(check_rest_framework)
        checks.register(check_middleware)
        checks.register(check_urlconf, checks.Tags.urls)
