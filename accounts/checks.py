"""System checks of ``accounts``: settings that would let a password or a reset link slip out.

- ``accounts.W001``: ``REST_FRAMEWORK`` does not name ``DEFAULT_AUTHENTICATION_CLASSES``, so DRF's
  defaults apply: cookie ``SessionAuthentication`` (the admin's cookie works on the API) and
  ``BasicAuthentication`` (a password check outside the login lockout) on every view.
- ``accounts.W002``: ``BasicAuthentication`` or ``SessionAuthentication`` is listed although the
  setting that asks for it (``API_BASIC_AUTH`` / ``API_COOKIE_SESSION_AUTH``) is not on.
- ``accounts.E001``: with ``DEBUG`` off, the email backend is the console or dummy one: every
  password-reset link (a live token) would be printed into the service's log, or never sent.
  ``EMAIL_ALLOW_CONSOLE_BACKEND = True`` says it is on purpose.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

SUITE_AUTHENTICATION_CLASSES = [
    "accounts.authentication.ServiceTokenAuthentication",
    "accounts.authentication.SessionTokenAuthentication",
]
_OPT_INS = {
    "rest_framework.authentication.BasicAuthentication": "API_BASIC_AUTH",
    "rest_framework.authentication.SessionAuthentication": "API_COOKIE_SESSION_AUTH",
}
LOG_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


@register(Tags.security)
def check_drf_authentication(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``accounts.W001``/``W002``: DRF's password and cookie authentication stay off by default."""
    rest_framework = getattr(settings, "REST_FRAMEWORK", None) or {}
    if "DEFAULT_AUTHENTICATION_CLASSES" not in rest_framework:
        return [
            Warning(
                "REST_FRAMEWORK leaves DRF's default authentication classes in place: "
                "BasicAuthentication checks passwords outside the login lockout and "
                "SessionAuthentication accepts the admin's cookie on every API view.",
                hint=(
                    'Add "DEFAULT_AUTHENTICATION_CLASSES": '
                    f"{SUITE_AUTHENTICATION_CLASSES!r} to REST_FRAMEWORK in your settings "
                    "(a consumer service: settings.services.consumer_rest_framework)."
                ),
                id="accounts.W001",
            )
        ]
    messages: list[CheckMessage] = []
    for path in rest_framework["DEFAULT_AUTHENTICATION_CLASSES"]:
        name = path if isinstance(path, str) else f"{path.__module__}.{path.__qualname__}"
        setting = _OPT_INS.get(name)
        if setting and not getattr(settings, setting, False):
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


@register(Tags.security)
def check_email_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``accounts.E001``: no console/dummy email backend outside DEBUG unless allowed."""
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if settings.DEBUG or backend not in LOG_EMAIL_BACKENDS:
        return []
    if getattr(settings, "EMAIL_ALLOW_CONSOLE_BACKEND", False):
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
            id="accounts.E001",
        )
    ]
