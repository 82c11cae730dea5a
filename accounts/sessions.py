"""Session lifetime rules: absolute and idle timeouts on top of Django's session store.

A login stamps the session with its start and last-activity times (epoch seconds, inside the
session data) and asks the store to drop it at the absolute deadline. Every lookup of a session
token (``accounts.allauth_bridge.SessionTokenStrategy``) refuses a session past either deadline,
even one in constant use, and records activity at most every few seconds so a busy client does
not write its session on every request.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase

from accounts.conf import accounts_settings

LOGIN_AT_KEY = "_accounts_login_at"
SEEN_AT_KEY = "_accounts_seen_at"
# Set on sessions started by the API's logins (their key is the session token). A logged-in
# session without it is a cookie session (the Django admin's): never accepted as a token, and
# an API session is never accepted as a cookie (accounts.middleware.CookieSessionGuardMiddleware).
API_SESSION_KEY = "_accounts_api"
# Django session keys are 32 lowercase letters/digits; anything else is not a token of ours and
# never reaches the session store.
_TOKEN_RE = re.compile(r"^[a-z0-9]{8,64}$")


def idle_timeout() -> int:
    """Seconds without activity after which a session ends (``SESSION_IDLE_TIMEOUT``)."""
    return int(accounts_settings.SESSION_IDLE_TIMEOUT)


def absolute_timeout() -> int:
    """Seconds after login after which a session ends anyway (``SESSION_ABSOLUTE_TIMEOUT``)."""
    return int(accounts_settings.SESSION_ABSOLUTE_TIMEOUT)


def activity_resolution() -> float:
    """How stale the recorded last activity may get before it is written again.

    A tenth of the idle timeout, at most a minute: idle sessions end at most that much early.
    """
    return min(60.0, idle_timeout() / 10)


def is_well_formed_token(token: object) -> bool:
    """Whether ``token`` looks like a session key at all (cheap check before any lookup)."""
    return isinstance(token, str) and bool(_TOKEN_RE.match(token))


def start(session: SessionBase, now: float | None = None, *, api: bool = False) -> None:
    """Stamp a freshly logged-in session and let the store drop it at the absolute deadline.

    ``api=True`` marks it as an API session (its key is handed out as a session token);
    otherwise it is a cookie session and stays one.
    """
    now = time.time() if now is None else now
    session[LOGIN_AT_KEY] = now
    session[SEEN_AT_KEY] = now
    if api:
        session[API_SESSION_KEY] = True
    else:
        session.pop(API_SESSION_KEY, None)
    session.set_expiry(datetime.fromtimestamp(now + absolute_timeout(), tz=UTC))


def is_api_session(session: SessionBase) -> bool:
    """Whether the session was started by an API login (its key is a session token)."""
    return session.get(API_SESSION_KEY) is True


def is_cookie_session(session: SessionBase) -> bool:
    """Whether a logged-in session was started by a cookie login (e.g. the Django admin's)."""
    return session.get(SESSION_KEY) is not None and not is_api_session(session)


def expires_at(session: SessionBase) -> datetime | None:
    """When the session ends if unused from now on: the earlier of the two deadlines."""
    login_at = session.get(LOGIN_AT_KEY)
    seen_at = session.get(SEEN_AT_KEY)
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return None
    deadline = min(login_at + absolute_timeout(), seen_at + idle_timeout())
    return datetime.fromtimestamp(deadline, tz=UTC)


def is_expired(session: SessionBase, now: float | None = None) -> bool:
    """Whether an authenticated session is past its idle or absolute deadline.

    A session that carries a user but no login stamp did not come through a login we know of
    and counts as expired; anonymous sessions (a login in progress) only have the store's expiry.
    """
    if session.get(SESSION_KEY) is None:
        return False
    deadline = expires_at(session)
    if deadline is None:
        return True
    now = time.time() if now is None else now
    return now >= deadline.timestamp()


def record_activity(session: SessionBase, now: float | None = None) -> None:
    """Move the idle deadline forward (written at most every ``activity_resolution()`` s)."""
    if session.get(SESSION_KEY) is None:
        return
    now = time.time() if now is None else now
    seen_at = session.get(SEEN_AT_KEY)
    if isinstance(seen_at, int | float) and now - seen_at < activity_resolution():
        return
    session[SEEN_AT_KEY] = now
    session.save()
