"""Django app configuration for ``accounts``."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Accounts: users, sessions, roles and service tokens on django-allauth."""

    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import (
            openapi,  # noqa: F401  (registers the OpenAPI security schemes)
            revocation,
            signals,  # noqa: F401  (connects the receivers)
        )

        revocation.connect_receivers()

        from django.core import checks

        from accounts.service_checks import check_service_auth_token

        checks.register(check_service_auth_token, checks.Tags.security)
