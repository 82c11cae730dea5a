"""How long an allauth rate limit still holds: the real ``Retry-After`` of a lockout.

allauth's rate limits (``ACCOUNT_RATE_LIMITS``; ``login_failed`` is the password lockout: by
default 5 failures per email in 5 minutes and 10 per client IP per minute) answer only "allowed or
not". Each limit is a sliding window, so a refusal lasts until enough of the counted events have
left their window. To say when that is, the suite keeps its own copy of the events it counted:
``record`` is called for every failed password check (``AccountAdapter.authentication_failed``)
and every other rate-limited action it lets through; ``retry_after`` reads it back.

The copy lives in the default cache under ``accounts:ratelog:`` keys, hashed (no email or
address in a key), each list bounded by its limit's size and expiring with its window. It is only
ever used to *tell* a client how long to wait: allauth's own counter decides whether to refuse.
When the copy knows nothing (cache cleared, a concurrent write lost) the wait given is the
longest window of the action, never less than the lock can last.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

CACHE_PREFIX = "accounts:ratelog:"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(\d*)([smhd])$")


@dataclass(frozen=True)
class Rate:
    """One part of an allauth rate string: ``amount`` events per ``seconds`` per ``per``."""

    amount: int
    seconds: int
    per: str


def parse_rates(text: str | None) -> list[Rate]:
    """``"10/m/ip,5/300s/key"`` -> two ``Rate``s (allauth's rate syntax; bad parts are skipped)."""
    rates = []
    for part in (text or "").split(","):
        pieces = part.strip().split("/")
        if len(pieces) != 3 or not pieces[0].isdigit():
            continue
        match = _DURATION.match(pieces[1].strip())
        if not match:
            continue
        seconds = int(match.group(1) or 1) * _UNITS[match.group(2)]
        rates.append(Rate(int(pieces[0]), seconds, pieces[2].strip()))
    return rates


def rates_for(action: str) -> list[Rate]:
    """The configured rates of an allauth action (``ACCOUNT_RATE_LIMITS``)."""
    return parse_rates(account_settings.RATE_LIMITS.get(action))


def _identity(request: HttpRequest, rate: Rate, key: str | None, user_id: object) -> str | None:
    if rate.per == "ip":
        try:
            return "ip:" + get_adapter(request).get_client_ip(request)
        except PermissionDenied:  # no address at all: allauth refuses such a request itself
            return None
    if rate.per == "key":
        return None if key is None else "key:" + key.lower()
    if rate.per == "user":
        return None if user_id is None else f"user:{user_id}"
    return None


def _cache_key(action: str, identity: str) -> str:
    return CACHE_PREFIX + hashlib.sha256(f"{action}|{identity}".encode()).hexdigest()


def record(
    request: HttpRequest,
    action: str,
    *,
    key: str | None = None,
    user_id: object = None,
    now: float | None = None,
) -> None:
    """Remember that one ``action`` event was counted for this client (and key or user)."""
    now = time.time() if now is None else now
    for rate in rates_for(action):
        identity = _identity(request, rate, key, user_id)
        if identity is None:
            continue
        cache_key = _cache_key(action, identity)
        history = [t for t in cache.get(cache_key) or [] if t > now - rate.seconds]
        history = [*history, now][-rate.amount :]
        cache.set(cache_key, history, rate.seconds + 1)


def retry_after(
    request: HttpRequest,
    action: str,
    *,
    key: str | None = None,
    user_id: object = None,
    now: float | None = None,
) -> int:
    """Whole seconds (at least 1) until ``action`` is allowed again for this client.

    Called when allauth refused: if the recorded events do not explain the refusal, the
    action's longest window (the most the lock can last).
    """
    wait = remaining(request, action, key=key, user_id=user_id, now=now)
    if wait <= 0:
        wait = max((rate.seconds for rate in rates_for(action)), default=1)
    return max(1, math.ceil(wait))


def remaining(
    request: HttpRequest,
    action: str,
    *,
    key: str | None = None,
    user_id: object = None,
    now: float | None = None,
) -> float:
    """Seconds the recorded events keep ``action`` refused for this client; 0 if not refused."""
    now = time.time() if now is None else now
    wait = 0.0
    for rate in rates_for(action):
        identity = _identity(request, rate, key, user_id)
        if identity is None:
            continue
        stored = cache.get(_cache_key(action, identity)) or []
        history = sorted(t for t in stored if t > now - rate.seconds)
        if len(history) >= rate.amount:
            wait = max(wait, history[-rate.amount] + rate.seconds - now)
    return wait
