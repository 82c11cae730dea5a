"""System checks for what ``accounts`` cannot default (registered in ``ready()``).

- ``accounts.E001``: ``AUTH_USER_MODEL`` is not ``"accounts.User"``. ``accounts.User`` is
  swappable like Django's own user model, so without the line it simply does not exist (no
  clashing reverse accessors, ``fields.E304``); this check says what to add.
- ``accounts.E002``: an allauth app ``accounts`` is built on is not in ``INSTALLED_APPS``.
- ``accounts.E003``: allauth's ``AccountMiddleware`` is not in ``MIDDLEWARE``.
- ``accounts.E004``: ``auth.E003``/``auth.W004`` are not silenced. ``User.email`` is unique among
  active (not soft-deleted) users only, a conditional constraint Django's check cannot see;
  every login path looks users up through the active-only manager, so the check is silenced.

Each hint names the line to add to the project's settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error

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
