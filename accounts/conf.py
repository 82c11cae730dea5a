"""The settings of ``accounts``, each with its default (see :mod:`shared_core.conf`).

allauth's own settings (``ACCOUNT_*``, ``HEADLESS_*``, ``SOCIALACCOUNT_*``) are read through
allauth's ``app_settings``; ``SERVICE_AUTH_TOKEN`` and ``HTTP_CLIENT_*`` are ``shared_core``'s.
"""

from __future__ import annotations

from shared_core.conf import AppSettings, Setting

__all__ = ["accounts_settings"]

#: ``accounts``' settings.
accounts_settings = AppSettings(
    "accounts",
    [
        Setting(
            "SESSION_IDLE_TIMEOUT",
            1800,
            "Seconds a session token stays valid without use.",
        ),
        Setting(
            "SESSION_ABSOLUTE_TIMEOUT",
            86400,
            "Seconds a session token stays valid after login, however much it is used.",
        ),
        Setting(
            "ACCEPTED_SERVICE_TOKENS",
            {},
            'The callers this service trusts: `{"ticket-service": "<token>"}`, one token per '
            "calling service (`ServiceTokenAuthentication`); empty trusts none.",
        ),
        Setting(
            "IDENTITY_SERVICE_URL",
            "http://127.0.0.1:8001",
            "Base URL of the user service, where `RemoteSessionAuthentication` introspects "
            "session tokens.",
        ),
        Setting(
            "IDENTITY_CACHE_TTL",
            30,
            "Seconds a consumer keeps an introspection answer (revocations still apply at once).",
        ),
        Setting(
            "IDENTITY_CACHE_ALIAS",
            None,
            "Cache alias of introspection answers and revocation markers; `None`: `identity` "
            "when `CACHES` has it, else `default`.",
        ),
        Setting(
            "API_BASIC_AUTH",
            False,
            "Lets `REST_FRAMEWORK` list DRF's `BasicAuthentication` (a password check on every "
            "request); off, `accounts.W002` warns when it is listed.",
        ),
        Setting(
            "API_COOKIE_SESSION_AUTH",
            False,
            "Lets `REST_FRAMEWORK` list DRF's cookie `SessionAuthentication`; off, "
            "`accounts.W002` warns when it is listed.",
        ),
        Setting(
            "EMAIL_ALLOW_CONSOLE_BACKEND",
            False,
            "Allows a console or dummy email backend with `DEBUG` off (`accounts.E005` refuses "
            "it otherwise: reset links would reach the log).",
        ),
        Setting(
            "EMAIL_FILE_PATH",
            None,
            "Folder of the file email backend (Django's own setting), read by the `outbox` "
            "command; `None`: no outbox.",
        ),
        Setting(
            "IDENTITY_REVOCATION_POLL_INTERVAL",
            None,
            "Seconds between reads of the user service's revocation feed; `None`: 2 with a "
            "process-local identity cache, 0 (no reads) with a shared one.",
        ),
    ],
)
