"""Django app configuration for ``accounts``."""

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class AccountsConfig(AppConfig):
    """Accounts: users, sessions, roles and service tokens on django-allauth."""

    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import (
            checks as accounts_checks,
        )
        from accounts import (
            openapi,  # noqa: F401  (registers the OpenAPI security schemes)
            revocation,
            signals,  # noqa: F401  (connects the receivers)
        )

        checks.register(accounts_checks.check_accounts_settings)
        checks.register(accounts_checks.check_drf_authentication, checks.Tags.security)
        checks.register(accounts_checks.check_email_backend, checks.Tags.security)
        checks.register(accounts_checks.check_service_auth_token, checks.Tags.security)
        if settings.AUTH_USER_MODEL == accounts_checks.USER_MODEL:
            # Otherwise accounts.User is swapped out and accounts.E001 says what to add.
            revocation.connect_receivers()
