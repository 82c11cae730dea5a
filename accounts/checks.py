"""System checks for what ``accounts`` cannot default (registered in ``ready()``).

- ``accounts.E001``: ``AUTH_USER_MODEL`` is not ``"accounts.User"``. ``accounts.User`` is
  swappable like Django's own user model, so without the line it simply does not exist (no
  clashing reverse accessors, ``fields.E304``); this check says what to add.
- ``accounts.E002``: an allauth app ``accounts`` is built on is not in ``INSTALLED_APPS``.
- ``accounts.E003``: allauth's ``AccountMiddleware`` is not in ``MIDDLEWARE``.
- ``accounts.E004``: ``auth.E003``/``auth.W004`` are not silenced. ``User.email`` is unique among
  active (not soft-deleted) users only, a conditional constraint Django's check cannot see;
  every login path looks users up through the active-only manager, so the check is silenced.
- ``accounts.E005``: with ``DEBUG`` off, the email backend is the console or dummy one: every
  password-reset link (a live token) would be printed into the service's log, or never sent.
  ``EMAIL_ALLOW_CONSOLE_BACKEND = True`` says it is on purpose.
- ``accounts.E006``: DRF authenticates end users with ``RemoteSessionAuthentication`` (the service
  is a consumer of the identity service), but ``SERVICE_AUTH_TOKEN`` is empty: every
  introspection would be refused, so every user would be turned away.
- ``accounts.W001``: ``REST_FRAMEWORK`` does not name ``DEFAULT_AUTHENTICATION_CLASSES``, so DRF's
  defaults apply: cookie ``SessionAuthentication`` (the admin's cookie works on the API) and
  ``BasicAuthentication`` (a password check outside the login lockout) on every view.
- ``accounts.W002``: ``BasicAuthentication`` or ``SessionAuthentication`` is listed although the
  setting that asks for it (``API_BASIC_AUTH`` / ``API_COOKIE_SESSION_AUTH``) is not on.

Each hint names the line to add to the project's settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from rest_framework.settings import api_settings

from accounts.conf import accounts_settings
from shared_core.conf import shared_core_settings

USER_MODEL = "accounts.User"
#: The allauth apps ``accounts`` imports models or views from.
REQUIRED_APPS = (
    "allauth",
    "allauth.account",
    "allauth.headless",
    "allauth.usersessions",
    "allauth.socialaccount",
)
ACCOUNT_MIDDLEWARE = "allauth.account.middleware.AccountMiddleware"
SILENCED_AUTH_CHECKS = ("auth.E003", "auth.W004")
SUITE_AUTHENTICATION_CLASSES = [
    "accounts.authentication.ServiceTokenAuthentication",
    "accounts.authentication.SessionTokenAuthentication",
]
#: DRF's password and cookie authentication, each with the setting that opts in to it.
OPT_IN_AUTHENTICATION = {
    "rest_framework.authentication.BasicAuthentication": "API_BASIC_AUTH",
    "rest_framework.authentication.SessionAuthentication": "API_COOKIE_SESSION_AUTH",
}
LOG_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


def check_accounts_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``accounts.E001`` to ``accounts.E004``: what ``accounts`` needs and cannot default."""
    messages: list[CheckMessage] = []
    if settings.AUTH_USER_MODEL != USER_MODEL:
        messages.append(
            Error(
                f"AUTH_USER_MODEL is {settings.AUTH_USER_MODEL!r}: accounts needs its own user "
                f"model.",
                hint=f'Add AUTH_USER_MODEL = "{USER_MODEL}" to your settings (before the first '
                f"migrate: the user model cannot be changed afterwards).",
                id="accounts.E001",
            )
        )
    missing = [name for name in REQUIRED_APPS if not apps.is_installed(name)]
    if missing:
        messages.append(
            Error(
                f"accounts is built on django-allauth; {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not in INSTALLED_APPS.",
                hint="Add "
                + ", ".join(f'"{name}"' for name in missing)
                + ' to INSTALLED_APPS (before "accounts").',
                id="accounts.E002",
            )
        )
    if ACCOUNT_MIDDLEWARE not in (settings.MIDDLEWARE or ()):
        messages.append(
            Error(
                f"{ACCOUNT_MIDDLEWARE} is not in MIDDLEWARE (allauth needs it on every request).",
                hint=f'Add "{ACCOUNT_MIDDLEWARE}" to MIDDLEWARE, after '
                f'"django.contrib.auth.middleware.AuthenticationMiddleware".',
                id="accounts.E003",
            )
        )
    silenced = set(settings.SILENCED_SYSTEM_CHECKS)
    if settings.AUTH_USER_MODEL == USER_MODEL and not silenced >= set(SILENCED_AUTH_CHECKS):
        messages.append(
            Error(
                "auth.E003/auth.W004 are not silenced: accounts.User.email is unique among active "
                "users only (a soft-deleted account frees its email), a conditional constraint "
                "Django's auth check does not recognise.",
                hint='Add SILENCED_SYSTEM_CHECKS = ["auth.E003", "auth.W004"] to your settings '
                "(or append them to your list).",
                id="accounts.E004",
            )
        )
    return messages


def check_drf_authentication(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``accounts.W001``/``W002``: DRF's password and cookie authentication stay off by default."""
    rest_framework = api_settings.user_settings or {}
    if "DEFAULT_AUTHENTICATION_CLASSES" not in rest_framework:
        return [
            Warning(
                "REST_FRAMEWORK leaves DRF's default authentication classes in place: "
                "BasicAuthentication checks passwords outside the login lockout and "
                "SessionAuthentication accepts the admin's cookie on every API view.",
                hint=(
                    'Add "DEFAULT_AUTHENTICATION_CLASSES": '
                    f"{SUITE_AUTHENTICATION_CLASSES!r} to REST_FRAMEWORK in your settings "
                    "(a consumer service: shared_core.presets.consumer_rest_framework)."
                ),
                id="accounts.W001",
            )
        ]
    messages: list[CheckMessage] = []
    for path in rest_framework["DEFAULT_AUTHENTICATION_CLASSES"]:
        name = path if isinstance(path, str) else f"{path.__module__}.{path.__qualname__}"
        setting = OPT_IN_AUTHENTICATION.get(name)
        if setting and not getattr(accounts_settings, setting):
            messages.append(
                Warning(
                    f"REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES lists {name} although "
                    f"{setting} is not on.",
                    hint=f"Remove {name!r} from DEFAULT_AUTHENTICATION_CLASSES, or add "
                    f"{setting} = True to your settings if the API must accept it.",
                    id="accounts.W002",
                )
            )
    return messages


def check_email_backend(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``accounts.E005``: no console/dummy email backend outside DEBUG unless allowed."""
    backend = settings.EMAIL_BACKEND
    if settings.DEBUG or backend not in LOG_EMAIL_BACKENDS:
        return []
    if accounts_settings.EMAIL_ALLOW_CONSOLE_BACKEND:
        return []
    return [
        Error(
            f"EMAIL_BACKEND is {backend} with DEBUG off: password-reset links (live tokens) "
            "would be printed into the service's log or never sent.",
            hint=(
                "Set EMAIL_URL=smtp://user:password@host:587/?tls=True (or filemail:// with "
                "EMAIL_FILE_PATH for a demo outbox), or add EMAIL_ALLOW_CONSOLE_BACKEND = True "
                "to your settings if this is on purpose."
            ),
            id="accounts.E005",
        )
    ]


def check_service_auth_token(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``accounts.E006`` when a consumer service has no ``SERVICE_AUTH_TOKEN``."""
    from accounts.authentication import RemoteSessionAuthentication

    consumer = any(
        isinstance(cls, type) and issubclass(cls, RemoteSessionAuthentication)
        for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
    )
    if not consumer or str(shared_core_settings.SERVICE_AUTH_TOKEN or "").strip():
        return []
    return [
        Error(
            "SERVICE_AUTH_TOKEN is empty, but this service asks the identity service "
            "(IDENTITY_SERVICE_URL) about its users with it (RemoteSessionAuthentication): "
            "every session token would be refused.",
            hint=(
                "Add SERVICE_AUTH_TOKEN=<token> to this service's environment (or "
                "SERVICE_AUTH_TOKEN_FILE=/run/secrets/service_auth_token), and the same token "
                "to the identity service's ACCEPTED_SERVICE_TOKENS as <this service's name>="
                "<token> (python -m django generate_service_token makes one)."
            ),
            id="accounts.E006",
        )
    ]
