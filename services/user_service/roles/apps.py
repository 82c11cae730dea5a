"""The user service's roles app: the admin's role endpoint and the ``seed_demo`` command."""

from django.apps import AppConfig


class RolesConfig(AppConfig):
    """Role management over HTTP and demo data for the user service."""

    name = "services.user_service.roles"
    label = "user_roles"
    verbose_name = "Roles"
