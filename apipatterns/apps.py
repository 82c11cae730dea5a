"""Django app configuration for ``apipatterns``."""

from django.apps import AppConfig


class ApiPatternsConfig(AppConfig):
    """API patterns."""

    name = "apipatterns"
    verbose_name = "API patterns"
    default_auto_field = "django.db.models.BigAutoField"
