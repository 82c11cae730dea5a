"""The account functions every service and view calls (no HTTP here).

Built on allauth's adapter, forms and public helpers (``accounts.allauth_bridge``): its rate
limits, password validators, timing-attack mitigation and emails apply to Python callers exactly
as to HTTP ones.
Functions that take ``request`` use it only for the client's address and headers (rate limits per
IP, emails, signals); without it the caller counts as one local client.

Errors are DRF/apipatterns exceptions (``accounts.exceptions``, DRF ``ValidationError`` with field
errors), so the API turns them into 400/404/409/429 envelopes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator, validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from accounts import allauth_bridge as bridge
from accounts.exceptions import (
    EmailAlreadyRegisteredError,
    InvalidCredentialsError,
    InvalidResetTokenError,
    SocialLoginFailedError,
    TooManyAttemptsError,
    UserNotFoundError,
)
from accounts.models import User, normalize_email
from accounts.roles import get_with_roles

# The profile fields ``create_user(profile_data=…)`` and ``update_user(data=…)`` accept; anything
# else (email, is_staff, password, groups…) is refused, never silently applied.
PROFILE_FIELDS: tuple[str, ...] = ("first_name", "last_name", "display_name", "timezone")


@dataclass(frozen=True)
class Session:
    """A logged-in session: the token to send as ``X-Session-Token``, its user and deadline."""

    token: str
    user: User
    expires_at: datetime | None

    def __repr__(self) -> str:  # never print the token
        return f"Session(user={self.user.pk}, expires_at={self.expires_at})"


# Text PostgreSQL cannot store (NUL) or encode (lone surrogates) is refused, never a 500.
_TEXT_VALIDATORS = (ProhibitNullCharactersValidator(), ProhibitSurrogateCharactersValidator())


# --- Validation helpers ---------------------------------------------------------------------
def _field_error(field: str, exc: DjangoValidationError) -> ValidationError:
    return ValidationError({field: get_error_detail(exc)})


def _clean_email(email: Any, field: str = "email") -> str:
    if not isinstance(email, str):
        raise ValidationError({field: ["Enter a valid email address."]}, code="invalid")
    email = normalize_email(email)
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise _field_error(field, exc) from exc
    return email


def _clean_profile(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": ["Expected an object of profile fields."]})
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationError(
            {
                name: [f"Unknown or read-only field; allowed: {', '.join(PROFILE_FIELDS)}."]
                for name in unknown
            },
            code="unknown_field",
        )
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        if not isinstance(value, str):
            errors[name] = ["Not a valid string."]
            continue
        try:
            for validator in _TEXT_VALIDATORS:
                validator(value)
        except DjangoValidationError as exc:
            errors[name] = list(exc.messages)
        except ValidationError as exc:
            errors[name] = [str(detail) for detail in exc.detail]
    if errors:
        raise ValidationError(errors, code="invalid")
    return dict(data)


def _check_profile(user: User, fields: list[str]) -> None:
    exclude = [f.name for f in User._meta.fields if f.name not in fields]
    try:
        user.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationError(get_error_detail(exc)) from exc


def _check_password(password: Any, user: User, field: str) -> str:
    if not isinstance(password, str) or not password:
        raise ValidationError({field: ["This field is required."]}, code="required")
    try:
        bridge.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise _field_error(field, exc) from exc
    return password


def _parse_id(user_id: Any) -> uuid.UUID:
    try:
        return user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except (ValueError, AttributeError, TypeError) as exc:
        raise UserNotFoundError() from exc


# --- Users ----------------------------------------------------------------------------------
def create_user(
    email: str,
    password: str,
    profile_data: dict[str, Any] | None = None,
    *,
    request: HttpRequest | None = None,
) -> User:
    """Create an active user with a validated password and whitelisted profile fields.

    Raises DRF ``ValidationError`` (bad email, weak password, unknown profile field) or
    ``EmailAlreadyRegisteredError`` (409) when an active account has the email.
    """
    email = _clean_email(email)
    profile = _clean_profile(profile_data)
    user = User(email=email, **profile)
    _check_profile(user, list(profile))
    _check_password(password, user, "password")
    if bridge.email_in_use(email):
        raise EmailAlreadyRegisteredError()
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            bridge.finish_signup(bridge.flow_request(request), user)
    except IntegrityError as exc:  # a concurrent signup won the race for this email
        raise EmailAlreadyRegisteredError() from exc
    return user


def signup(
    email: str,
    password: str,
    profile_data: dict[str, Any] | None = None,
    *,
    request: HttpRequest | None = None,
) -> User | None:
    """Self-service signup that does not reveal whether an email is registered.

    For a new email it creates the user; for a registered one it creates nothing, emails the
    owner (allauth's "account already exists" mail) and returns None. Both paths hash the
    password, so they also take about as long. Rate limited by allauth's ``signup`` limit.
    """
    flow = bridge.flow_request(request)
    try:
        bridge.consume_rate_limit(flow, "signup")
    except bridge.RateLimitedError as exc:
        raise TooManyAttemptsError(exc.retry_after) from exc
    email = _clean_email(email)
    profile = _clean_profile(profile_data)
    candidate = User(email=email, **profile)
    _check_profile(candidate, list(profile))
    _check_password(password, candidate, "password")
    if not bridge.email_in_use(email):
        try:
            return create_user(email, password, profile, request=request)
        except EmailAlreadyRegisteredError:
            pass
    make_password(password)  # same hashing cost as a real signup
    bridge.send_account_already_exists_mail(flow, email)
    return None


def get_user(user_id: Any) -> User:
    """The active user with this id, their roles read in the same query
    (:func:`accounts.roles.get_with_roles`); ``UserNotFoundError`` (404) otherwise."""
    try:
        return get_with_roles(User.objects.all(), pk=_parse_id(user_id))
    except User.DoesNotExist as exc:
        raise UserNotFoundError() from exc


def update_user(user_id: Any, data: dict[str, Any]) -> User:
    """Change whitelisted profile fields (``PROFILE_FIELDS``) of an active user."""
    user = get_user(user_id)
    changes = _clean_profile(data)
    if not changes:
        return user
    for name, value in changes.items():
        setattr(user, name, value)
    _check_profile(user, list(changes))
    user.save(update_fields=[*changes, "updated_at"])
    return user


# --- Sessions -------------------------------------------------------------------------------
def login(
    email: str,
    password: str,
    *,
    request: HttpRequest | None = None,
    previous_token: str | None = None,
) -> Session:
    """Check the credentials through allauth and start a new session.

    A wrong password, an unknown email and an inactive account all raise the same
    ``InvalidCredentialsError``; allauth's ``login_failed`` limit (5 failures per email in
    5 minutes, 10 per IP per minute by default) raises ``TooManyAttemptsError`` even for the
    right password. ``previous_token`` (a session the client already had) is rotated away.
    """
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise InvalidCredentialsError()
    flow = bridge.flow_request(request)
    try:
        user = bridge.authenticate(flow, normalize_email(email), password)
    except bridge.RateLimitedError as exc:
        raise TooManyAttemptsError(exc.retry_after) from exc
    if user is None:
        raise InvalidCredentialsError()
    session = bridge.login(flow, user, previous_token=previous_token)
    return Session(token=session.session_key, user=user, expires_at=bridge.session_expiry(session))


def social_login(
    provider: str, token: dict[str, Any], *, request: HttpRequest | None = None
) -> Session:
    """Log in (or sign up) with a Google ID token or a GitHub access token.

    Raises ``SocialLoginFailedError`` (400) when the provider is off, refuses the token, or the
    login cannot complete (an email of an existing local account is never taken over).
    """
    if not isinstance(provider, str) or not isinstance(token, dict):
        raise SocialLoginFailedError()
    flow = bridge.flow_request(request)
    try:
        bridge.consume_rate_limit(flow, "login")
        session = bridge.social_login(flow, provider, token)
    except bridge.RateLimitedError as exc:
        raise TooManyAttemptsError(exc.retry_after) from exc
    except bridge.SocialLoginError as exc:
        raise SocialLoginFailedError(code=str(exc)) from exc
    user = bridge.session_user(session)
    if user is None:
        raise SocialLoginFailedError()
    return Session(token=session.session_key, user=user, expires_at=bridge.session_expiry(session))


def get_session(session_id: str | None) -> Session | None:
    """The live session behind a token (timeouts and password changes applied), or None."""
    session = bridge.load_session(session_id)
    if session is None:
        return None
    user = bridge.session_user(session)
    if user is None:
        return None
    return Session(token=session.session_key, user=user, expires_at=bridge.session_expiry(session))


def verify_session(session_id: str | None) -> User | None:
    """The user of a live session, or None (unknown, logged out, expired, user gone)."""
    session = get_session(session_id)
    return session.user if session else None


def logout(session_id: str | None, *, request: HttpRequest | None = None) -> bool:
    """End the session now (allauth's logout flow); False if the token was not a session."""
    if not session_id:
        return False
    return bridge.logout(bridge.flow_request(request), session_id)


def end_all_sessions(user: User) -> int:
    """End every session of ``user`` (all devices); return how many were ended."""
    return bridge.end_all_sessions(user)


# --- Passwords ------------------------------------------------------------------------------
def request_password_reset(email: str, *, request: HttpRequest | None = None) -> str | None:
    """Email a single-use reset token if an active account has this email.

    Returns the token (``<uid>-<key>``) to Python callers, None for an unknown email (which gets
    allauth's "unknown account" email instead). The HTTP API never returns it. A new request
    voids older outstanding tokens. Rate limited by allauth's ``reset_password`` limit.
    """
    flow = bridge.flow_request(request)
    email = _clean_email(email)
    try:
        bridge.consume_rate_limit(flow, "reset_password", key=email)
    except bridge.RateLimitedError as exc:
        raise TooManyAttemptsError(exc.retry_after) from exc
    try:
        form = bridge.reset_request_form(email)
    except DjangoValidationError as exc:
        raise _field_error("email", exc) from exc
    for user in form.users[:1]:
        user.password_reset_requested_at = timezone.now()
        user.save(update_fields=["password_reset_requested_at"])
    return bridge.send_password_reset(flow, form)


def reset_password(token: str, new_password: str, *, request: HttpRequest | None = None) -> bool:
    """Set a new password with a reset token; every session of the user ends.

    Returns True. Raises ``InvalidResetTokenError`` for a malformed, expired, used or superseded
    token and DRF ``ValidationError`` for a password the validators refuse. Never logs in.
    """
    flow = bridge.flow_request(request)
    try:
        bridge.consume_rate_limit(flow, "reset_password_from_key")
    except bridge.RateLimitedError as exc:
        raise TooManyAttemptsError(exc.retry_after) from exc
    user = bridge.user_for_reset_token(token)
    if user is None:
        raise InvalidResetTokenError()
    _check_password(new_password, user, "new_password")
    with transaction.atomic():
        user.password_reset_requested_at = None
        try:
            bridge.reset_password(flow, user, new_password)
        except DjangoValidationError as exc:
            raise _field_error("new_password", exc) from exc
        bridge.end_all_sessions(user)
    return True


def change_password(
    user: User,
    current_password: str,
    new_password: str,
    *,
    request: HttpRequest | None = None,
) -> bool:
    """Change a logged-in user's password; every session of the user ends (log in again)."""
    flow = bridge.flow_request(request)
    flow.user = user
    try:
        bridge.consume_rate_limit(flow, "change_password")
        ok = isinstance(current_password, str) and bridge.check_password(
            flow, user, current_password
        )
    except bridge.RateLimitedError as exc:
        # Both limits may hold (change_password per user, the account's lockout): the later end.
        wait = max(exc.retry_after or 1, bridge.lockout_remaining(flow, user))
        raise TooManyAttemptsError(wait) from exc
    if not ok:
        raise ValidationError(
            {"current_password": ["The current password is not correct."]},
            code="invalid_password",
        )
    _check_password(new_password, user, "new_password")
    with transaction.atomic():
        bridge.change_password(flow, user, new_password)
        bridge.end_all_sessions(user)
    return True
