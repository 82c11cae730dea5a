"""Errors of ``accounts``: DRF/apipatterns exceptions, so every caller gets the error envelope.

They subclass ``APIError`` or DRF's exceptions, so apipatterns' error pipeline maps them by their
status code and ``default_code`` with no registration; it never imports accounts.
"""

from __future__ import annotations

from rest_framework import exceptions, status

from apipatterns.exceptions import APIError, ConflictError


class InvalidCredentialsError(APIError):
    """Wrong password, unknown email or inactive account: one error for all three."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_credentials"
    default_detail = "The email address and/or password you specified are not correct."


class TooManyAttemptsError(APIError):
    """An allauth rate limit refused the action (too many failed logins, resets, signups...)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_attempts"
    default_detail = "Too many attempts. Try again later."

    def __init__(self, retry_after: int | None = None) -> None:
        """``retry_after``: whole seconds until the limit lets the client in again; the error
        pipeline sends it as ``Retry-After`` and ``retry_after`` (like DRF's ``Throttled.wait``)."""
        super().__init__()
        self.wait = retry_after


class EmailAlreadyRegisteredError(ConflictError):
    """``create_user`` with an email an active account already uses."""

    default_code = "email_taken"
    default_detail = "A user with this email address already exists."


class InvalidResetTokenError(APIError):
    """The reset token is malformed, expired, already used or superseded by a newer one."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_token"
    default_detail = "The password reset token is invalid or has expired."


class UserNotFoundError(exceptions.NotFound):
    """No active user has this id."""

    default_code = "not_found"
    default_detail = "User not found."


class InvalidSessionError(exceptions.AuthenticationFailed):
    """The session token is unknown, logged out or expired."""

    default_code = "invalid_session"
    default_detail = "The session token is invalid or has expired."


class SocialLoginFailedError(APIError):
    """Google/GitHub login failed: provider off, token refused, or login not completed."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "social_login_failed"
    default_detail = "The login with this provider did not succeed."
