"""The one module that touches django-allauth.

Everything else in ``accounts`` calls these functions and classes. Only allauth's public surface
is used: the adapter (``get_adapter()`` methods), its forms (``ResetPasswordForm``,
``ResetPasswordKeyForm``, ``UserTokenForm``), ``allauth.account.utils`` (``perform_login``,
``filter_users_by_email``, ``setup_user_email``), its signals, ``allauth.core.ratelimit``,
``allauth.socialaccount.helpers`` and the headless token strategy; never an ``internal`` module
or an underscore name (``tests/accounts/test_allauth_public_api.py`` scans for them).
``tests/accounts/test_allauth_bridge.py`` pins the behaviour relied upon. The settings point at
the classes defined here: ``ACCOUNT_ADAPTER`` and ``HEADLESS_TOKEN_STRATEGY``.

What allauth gives us through this module: its authentication backend (email login, timing-attack
mitigation for unknown emails), its rate limits (``ACCOUNT_RATE_LIMITS``: ``login_failed`` per email
and per client IP, ``reset_password``, ``signup``, ``change_password``), its client-IP rule
(``ALLAUTH_TRUSTED_PROXY_COUNT``: ``X-Forwarded-For`` is ignored unless proxies are trusted), its
password validators hook (``adapter.clean_password``), its login/logout/password-reset flows and
emails, the headless app-client session token (the Django session key, sent as
``X-Session-Token``) and ``allauth.usersessions`` (which sessions a user has, to end them all).

(The reset token generator, ``accounts.tokens``, is Django's: allauth imports it while loading
its forms, so it must not import allauth itself.)
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from allauth.account import app_settings as account_settings
from allauth.account import signals as account_signals
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.auth_backends import AuthenticationBackend as AllauthAuthenticationBackend
from allauth.account.forms import ResetPasswordForm, ResetPasswordKeyForm, UserTokenForm
from allauth.account.models import EmailAddress
from allauth.account.signals import user_signed_up
from allauth.account.utils import (
    filter_users_by_email,
    perform_login,
    setup_user_email,
    user_pk_to_url_str,
)
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.headless.tokens.strategies.sessions import (
    SessionTokenStrategy as AllauthSessionTokenStrategy,
)
from allauth.socialaccount import app_settings as socialaccount_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import get_user as django_get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from accounts import lockout
from accounts import sessions as session_rules

if TYPE_CHECKING:
    from accounts.models import User

# Python callers (scripts, tests, other apps) that have no HTTP request are rate limited and
# recorded as one local client.
INTERNAL_CLIENT_IP = "127.0.0.1"


class RateLimitedError(Exception):
    """An allauth rate limit (``ACCOUNT_RATE_LIMITS``) refused the action.

    ``retry_after``: whole seconds until it lets this client in again (``accounts.lockout``).
    """

    def __init__(self, action: str, retry_after: int | None = None) -> None:
        super().__init__(action)
        self.action = action
        self.retry_after = retry_after


# A password check running inside allauth's adapter (which applies the lockout itself); any other
# caller of Django's authenticate() goes through the adapter first (AuthenticationBackend).
_in_adapter_check: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "accounts_in_adapter_check", default=False
)


def _login_key(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").lower()


# --- Classes the settings point at ----------------------------------------------------------
class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter for a JSON API: no Django messages (nothing would ever show them)."""

    def add_message(self, *args: Any, **kwargs: Any) -> None:
        """Drop flash messages: API clients get the outcome in the response instead."""
        return None

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        """allauth's lockout-checked password check (see ``AuthenticationBackend``)."""
        marker = _in_adapter_check.set(True)
        try:
            return super().authenticate(request, **credentials)
        finally:
            _in_adapter_check.reset(marker)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        """Note the failure's time, so a lockout can say how long it still lasts."""
        super().authentication_failed(request, **credentials)
        lockout.record(request, "login_failed", key=_login_key(credentials))


class AuthenticationBackend(AllauthAuthenticationBackend):
    """allauth's backend, with every password check behind allauth's lockout.

    A check that does not come through allauth's adapter (the Django admin's login form, DRF's
    ``BasicAuthentication`` if a service turns it on, any ``django.contrib.auth.authenticate()``
    call) is sent through it: it counts against the same ``login_failed`` limits (per email and
    per client address) as the login API, and while they hold even the right password is refused
    (``PermissionDenied``, so no other backend is asked).
    """

    def authenticate(self, request: Any, **credentials: Any) -> Any:
        if _in_adapter_check.get():
            return super().authenticate(request, **credentials)
        login_name, password = _login_key(credentials), credentials.get("password")
        if not login_name or not password:
            return None
        http_request = getattr(request, "_request", request)  # a DRF Request wraps one
        # A detached POST copy: allauth does not rate limit GET requests (Basic on a GET).
        flow = flow_request(http_request if isinstance(http_request, HttpRequest) else None)
        try:
            return authenticate(flow, login_name, password)
        except RateLimitedError as exc:
            raise PermissionDenied("too_many_login_attempts") from exc


class SessionTokenStrategy(AllauthSessionTokenStrategy):
    """allauth's app-client session token (the Django session key) plus our lifetime rules.

    Every lookup, ours or allauth's headless views', applies the idle and absolute timeouts
    (``accounts.sessions``) and records activity, so an expired token is refused everywhere.
    """

    def create_session_token(self, request: HttpRequest) -> str:
        """Hand out the session key of a headless login, stamped as an API session."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if not session_rules.is_api_session(request.session):
                session_rules.start(request.session, api=True)
            request.session.save()
        return super().create_session_token(request)

    def lookup_session(self, session_token: str) -> SessionBase | None:
        """Return the live session for ``session_token``; end it and return None if expired."""
        if not session_rules.is_well_formed_token(session_token):
            return None
        session = super().lookup_session(session_token)
        if session is None:
            return None
        if session_rules.is_expired(session):
            end_session_by_key(session_token)
            return None
        if session_rules.is_cookie_session(session):
            return None  # an admin's sessionid cookie is not an API token
        session_rules.record_activity(session)
        return session


# --- Requests -------------------------------------------------------------------------------
def flow_request(request: HttpRequest | None = None) -> HttpRequest:
    """A fresh request for running an allauth flow on behalf of ``request``.

    It copies the caller's headers and address (what rate limits, signals and emails look at) but
    has its own empty session and an anonymous user, so a flow never touches the caller's cookie
    session: a session token must never come back as a ``sessionid`` cookie. Without a caller
    (Python code) it stands for one local client, ``INTERNAL_CLIENT_IP``.
    """
    from importlib import import_module

    detached = HttpRequest()
    detached.method = "POST"
    if request is not None:
        detached.META = dict(request.META)
        detached.path = request.path
    else:
        detached.META.update(
            {"REMOTE_ADDR": INTERNAL_CLIENT_IP, "SERVER_NAME": "localhost", "SERVER_PORT": "80"}
        )
    detached.session = import_module(settings.SESSION_ENGINE).SessionStore()
    detached.user = AnonymousUser()
    return detached


@contextlib.contextmanager
def request_context(request: HttpRequest) -> Iterator[HttpRequest]:
    """Make ``request`` allauth's current request (its middleware does this for HTTP calls)."""
    if allauth_context.request is request:
        yield request
        return
    with allauth_context.request_context(request):
        yield request


def consume_rate_limit(request: HttpRequest, action: str, *, key: str | None = None) -> None:
    """Count one ``action`` against ``ACCOUNT_RATE_LIMITS``; raise RateLimitedError if over."""
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    with request_context(request):
        if not ratelimit.consume(request, action=action, key=key):
            wait = lockout.retry_after(request, action, key=key, user_id=user_id)
            raise RateLimitedError(action, wait)
    lockout.record(request, action, key=key, user_id=user_id)


def lockout_remaining(request: HttpRequest, user: User) -> int:
    """Whole seconds the password lockout (``login_failed``) still holds for ``user``; 0 if not."""
    return math.ceil(lockout.remaining(request, "login_failed", key=user.email.lower()))


def client_ip(request: HttpRequest) -> str:
    """The client IP allauth's rate limits use (``X-Forwarded-For`` only behind trusted proxies)."""
    return get_account_adapter(request).get_client_ip(request)


# --- Users, passwords -----------------------------------------------------------------------
def validate_password(password: str, user: User | None = None) -> None:
    """Run allauth's password check (``AUTH_PASSWORD_VALIDATORS``); raise ValidationError."""
    get_account_adapter().clean_password(password, user=user)


def email_in_use(email: str) -> bool:
    """Whether any (not soft-deleted) account already uses this email."""
    return bool(filter_users_by_email(email))


def finish_signup(request: HttpRequest, user: User) -> None:
    """Record the email the allauth way (EmailAddress row) and send ``user_signed_up``."""
    with request_context(request):
        setup_user_email(request, user, [EmailAddress(email=user.email)])
        user_signed_up.send(sender=user.__class__, request=request, user=user)


def send_account_already_exists_mail(request: HttpRequest, email: str) -> None:
    """Tell the owner of ``email`` someone tried to sign up with it (allauth's template)."""
    with request_context(request):
        get_account_adapter(request).send_account_already_exists_mail(email)


def forget_emails(user: User) -> None:
    """Drop allauth's EmailAddress rows of ``user`` so the address can sign up again."""
    EmailAddress.objects.filter(user_id=user.pk).delete()


def sync_primary_email(user: User) -> None:
    """Keep allauth's EmailAddress table in step with ``user.email`` after it changed."""
    EmailAddress.objects.filter(user_id=user.pk).exclude(email=user.email).delete()
    EmailAddress.objects.get_or_create(
        user_id=user.pk, email=user.email, defaults={"primary": True, "verified": False}
    )


# --- Login and sessions ---------------------------------------------------------------------
def authenticate(request: HttpRequest, email: str, password: str) -> User | None:
    """allauth's authenticate: rate limits ``login`` and ``login_failed`` and checks the password.

    Raises RateLimitedError when the email (or client IP) has too many recent failures, before
    the password is even looked at, so the right password is refused too.
    """
    consume_rate_limit(request, "login")
    adapter = get_account_adapter(request)
    with request_context(request):
        try:
            user = adapter.authenticate(request, email=email, password=password)
        except ValidationError as exc:
            if exc.code == "too_many_login_attempts":
                wait = lockout.retry_after(request, "login_failed", key=email.lower())
                raise RateLimitedError("login_failed", wait) from exc
            raise
    if user is None or not user.is_active:
        return None
    return user


def load_session(token: str | None) -> SessionBase | None:
    """The live session behind a session token (timeouts applied), or None."""
    if not token:
        return None
    return SessionTokenStrategy().lookup_session(token)


def login(request: HttpRequest, user: User, *, previous_token: str | None = None) -> SessionBase:
    """Log ``user`` in through allauth's login flow and return the new session.

    ``request`` is a ``flow_request()``: its session becomes the user's session.

    A session the client already had (``previous_token``, e.g. an anonymous one) is loaded
    first so that Django's ``login()`` rotates its key: the old token stops working.
    """
    previous = load_session(previous_token) if previous_token else None
    if previous is not None:
        # Django's login() keeps the key when the same user logs in again; rotate it always.
        previous.cycle_key()
        request.session = previous
    with request_context(request):
        perform_login(request, user, email=user.email)
    if not request.user.is_authenticated or request.user.pk != user.pk:
        # A pending login stage (e.g. email verification) stopped the flow.
        raise RuntimeError("allauth did not complete the login")
    session_rules.start(request.session, api=True)
    request.session.save()
    UserSession.objects.create_from_request(request)
    return request.session


def session_user(session: SessionBase) -> User | None:
    """The user of a session via Django's ``get_user`` (checks the password-hash in it)."""
    holder = HttpRequest()
    holder.session = session
    user = django_get_user(holder)
    if not user.is_authenticated or not user.is_active:
        return None
    return user  # type: ignore[return-value]


def logout(request: HttpRequest, token: str) -> bool:
    """End the session behind ``token`` with allauth's logout flow; False if there was none."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not session_rules.is_well_formed_token(token) or not store().exists(token):
        return False
    session = store(session_key=token)
    request.session = session
    request.user = session_user(session) or AnonymousUser()
    with request_context(request):
        if request.user.is_authenticated:
            get_account_adapter(request).logout(request)
    # Django's logout flushes the session; drop what may remain (an anonymous session).
    end_session_by_key(token)
    return True


def end_session_by_key(token: str) -> None:
    """Delete one session from the store and allauth's per-user session list."""
    from importlib import import_module

    import_module(settings.SESSION_ENGINE).SessionStore().delete(token)
    UserSession.objects.filter(session_key=token).delete()


def end_all_sessions(user: User) -> int:
    """End every session allauth.usersessions knows for ``user``; return how many."""
    ended = 0
    for user_session in UserSession.objects.filter(user_id=user.pk):
        user_session.end()
        ended += 1
    return ended


def session_expiry(session: SessionBase) -> datetime | None:
    """When the session ends at the latest if left alone (idle and absolute timeouts)."""
    return session_rules.expires_at(session)


# --- Password reset and change --------------------------------------------------------------
class _RecordingTokenGenerator:
    """Wraps the configured generator so the flow's token is handed back to Python callers."""

    def __init__(self) -> None:
        self.inner = account_settings.PASSWORD_RESET_TOKEN_GENERATOR()
        self.tokens: list[tuple[Any, str]] = []

    def make_token(self, user: Any) -> str:
        token = self.inner.make_token(user)
        self.tokens.append((user, token))
        return token


def reset_request_form(email: str) -> ResetPasswordForm:
    """allauth's reset-request form for ``email``, validated: ``form.users`` are the accounts
    it matches (active ones; an unknown address matches none, never an error)."""
    form = ResetPasswordForm(data={"email": email})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data().get("email") or "invalid email")
    return form


def send_password_reset(request: HttpRequest, form: ResetPasswordForm) -> str | None:
    """Save allauth's reset-request form: a reset email for a known address, an "unknown
    account" email otherwise. Returns the emailed token (``<uid>-<key>``) for a known address."""
    generator = _RecordingTokenGenerator()
    form.users = form.users[:1]
    with request_context(request):
        form.save(request, token_generator=generator)
    if not generator.tokens:
        return None
    user, key = generator.tokens[0]
    return f"{user_pk_to_url_str(user)}-{key}"


def user_for_reset_token(token: str) -> User | None:
    """The active user a reset token belongs to if it is valid, unexpired and unused, else None."""
    if not isinstance(token, str) or "-" not in token or len(token) > 256:
        return None
    uid, key = token.split("-", 1)
    form = UserTokenForm(data={"uidb36": uid, "key": key})
    form.token_generator = account_settings.PASSWORD_RESET_TOKEN_GENERATOR()
    try:
        valid = form.is_valid()
    except (ValueError, ValidationError):
        return None
    if not valid or form.reset_user is None or not form.reset_user.is_active:
        return None
    return form.reset_user


def reset_password(request: HttpRequest, user: User, password: str) -> None:
    """Set the new password with allauth's ``ResetPasswordKeyForm`` and finish the reset as
    allauth's own view does: clear the account's login-failure lockout, send ``password_reset``
    and the notification email; never log the user in.

    Raises Django's ValidationError if the password validators refuse ``password``.
    """
    form = ResetPasswordKeyForm(user=user, data={"password1": password, "password2": password})
    with request_context(request):
        if not form.is_valid():
            raise ValidationError(form.errors.as_data().get("password1") or "invalid password")
        form.save()
        clear_login_lockout(request, user)
        account_signals.password_reset.send(sender=user.__class__, request=request, user=user)
        get_account_adapter(request).send_notification_mail("account/email/password_reset", user)


def clear_login_lockout(request: HttpRequest, user: User) -> None:
    """Wipe the per-email ``login_failed`` counter of each of ``user``'s addresses.

    allauth keys it by ``"<site domain>:<email>"`` (``DefaultAccountAdapter``); a successful
    password reset, itself rate limited, lifts the lockout (pinned by
    ``tests/accounts/test_allauth_bridge.py``).
    """
    from django.contrib.sites.shortcuts import get_current_site

    domain = get_current_site(request).domain
    addresses = EmailAddress.objects.filter(user_id=user.pk).values_list("email", flat=True)
    emails = {user.email.lower(), *(address.lower() for address in addresses)}
    for email in emails:
        ratelimit.clear(request, action="login_failed", key=f"{domain}:{email}")


def change_password(request: HttpRequest, user: User, password: str) -> None:
    """Set the new password through allauth's adapter and send what its change view sends
    (``password_changed`` signal, notification email). The caller ends the user's sessions."""
    request.user = user
    with request_context(request):
        adapter = get_account_adapter(request)
        adapter.set_password(user, password)
        adapter.send_notification_mail("account/email/password_changed", user)
        account_signals.password_changed.send(sender=user.__class__, request=request, user=user)


def check_password(request: HttpRequest, user: User, password: str) -> bool:
    """Re-check a logged-in user's password, counted by the ``login_failed`` rate limit."""
    with request_context(request):
        try:
            return get_account_adapter(request).reauthenticate(user, password)
        except ValidationError as exc:
            if exc.code == "too_many_login_attempts":
                wait = lockout.retry_after(request, "login_failed", key=user.email.lower())
                raise RateLimitedError("login_failed", wait) from exc
            raise


# --- Social login (allauth.socialaccount: Google, GitHub) -----------------------------------
class SocialLoginError(Exception):
    """The provider is not switched on, refused the token, or the login could not complete."""


def enabled_providers() -> list[str]:
    """Provider ids switched on by their client ID/secret in the environment."""
    return sorted(socialaccount_settings.PROVIDERS)


def social_login(request: HttpRequest, provider_id: str, token: dict[str, Any]) -> SessionBase:
    """Log in with a provider token through allauth's social login flow; return the session.

    Google: ``{"id_token": …}`` (allauth verifies the signed ID token against Google's keys).
    GitHub: ``{"access_token": …}`` (allauth reads the profile and emails from GitHub's API).
    A first login creates the account (allauth's auto-signup); an email that already belongs to
    a local account is not taken over (``SOCIALACCOUNT_EMAIL_AUTHENTICATION = False``).
    """
    from allauth.socialaccount.adapter import get_adapter as get_social_adapter
    from allauth.socialaccount.helpers import complete_social_login
    from allauth.socialaccount.models import SocialApp, SocialToken

    if provider_id not in enabled_providers():
        raise SocialLoginError("provider_not_enabled")
    with request_context(request):
        try:
            provider = get_social_adapter().get_provider(request, provider_id)
        except SocialApp.DoesNotExist as exc:
            raise SocialLoginError("provider_not_enabled") from exc
        try:
            if provider.supports_token_authentication:
                sociallogin = provider.verify_token(request, token)
            else:
                access_token = token.get("access_token")
                if not isinstance(access_token, str) or not access_token:
                    raise SocialLoginError("invalid_token")
                adapter = github_adapter(request)
                sociallogin = adapter.complete_login(
                    request, provider.app, SocialToken(token=access_token), response={}
                )
        except (ValidationError, OSError) as exc:
            raise SocialLoginError("invalid_token") from exc
        except Exception as exc:  # requests.HTTPError and friends: the provider said no
            if type(exc).__module__.startswith("requests"):
                raise SocialLoginError("invalid_token") from exc
            raise
        sociallogin.state["process"] = "login"
        try:
            complete_social_login(request, sociallogin)
        except Exception as exc:
            raise SocialLoginError("login_incomplete") from exc
    if not request.user.is_authenticated:
        raise SocialLoginError("login_incomplete")  # e.g. the email belongs to a local account
    session_rules.start(request.session, api=True)
    request.session.save()
    UserSession.objects.create_from_request(request)
    return request.session


def github_adapter(request: HttpRequest) -> Any:
    """allauth's GitHub adapter (its API URL comes from ``SOCIALACCOUNT_PROVIDERS``)."""
    from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter

    return GitHubOAuth2Adapter(request)
