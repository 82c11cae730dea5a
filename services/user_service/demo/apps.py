"""The user service's demo app: only the ``seed_demo`` management command."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the user service."""

    name = "services.user_service.demo"
    label = "user_demo"
    verbose_name = "Demo data"
