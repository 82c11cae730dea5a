"""Password-reset tokens (``ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator as DjangoGenerator


class PasswordResetTokenGenerator(DjangoGenerator):
    """Django's reset token (user id, password hash, last login, email, timestamp, HMAC with
    ``SECRET_KEY``, ``PASSWORD_RESET_TIMEOUT``) plus the time of the latest reset request.

    The password change a reset makes voids the token it used; hashing the latest request time
    voids every older outstanding token as soon as a new one is requested. (allauth imports this
    class while loading its forms, so this module must not import allauth.)
    """

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        requested = getattr(user, "password_reset_requested_at", None)
        marker = "" if requested is None else str(requested.timestamp())
        return f"{super()._make_hash_value(user, timestamp)}|{marker}"
