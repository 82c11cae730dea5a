"""Revocation: an ended session or a changed identity reaches every consumer within a bound.

Consumers (``RemoteSessionAuthentication``) cache introspection answers for up to
``IDENTITY_CACHE_TTL`` seconds. Whatever invalidates a cached answer on the user service — a
logout, a password reset or change (every session ends), a deactivation, a role change or any
other change to the user — records a *revocation* for each affected session: the SHA-256 of its
token, which is also the consumers' cache key. Consumers keep, next to each cached answer, the
revocation marker they saw when they asked; an answer whose marker is no longer the current one is
not used (the token is introspected again). Two ways carry the markers:

- **Shared identity cache** (Redis, the production configuration): on commit, the user service
  writes the markers into the identity cache it shares with the consumers, and consumers read the
  cached answer and its marker with one ``get_many`` (one ``MGET``: the same single round trip as
  the plain ``GET`` it replaces). A revocation is refused everywhere as soon as the revoking
  request has been answered.
- **Process-local caches** (the embedded default, local memory): each consumer process reads the
  user service's revocation feed (``GET /internal/v1/revocations``) at most every
  ``IDENTITY_REVOCATION_POLL_INTERVAL`` seconds (2 by default), before it trusts its cache, and
  keeps the markers in memory (a dict lookup next to the one cache ``get``). A process whose last
  successful read started longer ago than that does not use its cache at all, so the bound holds
  even when the feed cannot be read: every request that starts more than the interval after the
  revoking answer is refused.

The identity cache is the ``identity`` alias when ``CACHES`` has one (the demo services do: one
key prefix shared by all services), else ``default``; ``IDENTITY_CACHE_ALIAS`` names another.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.conf import accounts_settings
from apipatterns.envelope import unwrap

logger = logging.getLogger(__name__)

FEED_PATH = "internal/v1/revocations"
ENTRY_PREFIX = "accounts:introspect:"
MARKER_PREFIX = "accounts:revoked:"
IDENTITY_ALIAS = "identity"
#: Seconds between two reads of the revocation feed when the identity cache is process-local.
DEFAULT_POLL_INTERVAL = 2.0
#: The feed answers events from this many seconds before the reader's last read as well, so an
#: event whose transaction committed after a later one (ids and times out of order) is not missed.
FEED_LOOKBACK = 10.0
#: The most events one feed answer carries; more and the reader drops its whole identity cache.
FEED_LIMIT = 5000
#: Fields whose change does not alter an introspection answer (a login stamps ``last_login``).
_UNTRACKED_USER_FIELDS = frozenset({"last_login", "password_reset_requested_at", "updated_at"})


def token_hash(token: str) -> str:
    """The SHA-256 of a session token: cache keys and revocations never hold the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def identity_cache_alias() -> str:
    """``IDENTITY_CACHE_ALIAS``, else ``identity`` when ``CACHES`` has it, else ``default``."""
    alias = accounts_settings.IDENTITY_CACHE_ALIAS
    if alias:
        return str(alias)
    return IDENTITY_ALIAS if IDENTITY_ALIAS in settings.CACHES else DEFAULT_CACHE_ALIAS


def identity_cache() -> BaseCache:
    """The cache holding introspection answers and revocation markers."""
    return caches[identity_cache_alias()]


def is_process_local(cache: BaseCache) -> bool:
    """Whether ``cache`` lives in this process only (the user service cannot write into it)."""
    return isinstance(cache, LocMemCache | DummyCache)


def poll_interval() -> float:
    """Seconds between feed reads; 0 when the identity cache is shared with the user service.

    ``IDENTITY_REVOCATION_POLL_INTERVAL`` when set; otherwise ``DEFAULT_POLL_INTERVAL`` for a
    process-local identity cache and 0 (no reads: markers arrive through the cache) for others.
    Worked out once per settings (every request asks).
    """
    global _poll_interval
    if _poll_interval is None:
        value = accounts_settings.IDENTITY_REVOCATION_POLL_INTERVAL
        if value is None:
            value = DEFAULT_POLL_INTERVAL if is_process_local(identity_cache()) else 0.0
        _poll_interval = max(0.0, float(value))
    return _poll_interval


_poll_interval: float | None = None


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    global _poll_interval
    if setting in ("IDENTITY_REVOCATION_POLL_INTERVAL", "IDENTITY_CACHE_ALIAS", "CACHES"):
        _poll_interval = None


def marker_ttl() -> int:
    """How long a marker outlives any answer cached before it (the TTL plus a call's deadline)."""
    return int(accounts_settings.IDENTITY_CACHE_TTL) + 60


def retention() -> timedelta:
    """How long the user service keeps revocations for the feed."""
    return timedelta(seconds=int(accounts_settings.IDENTITY_CACHE_TTL) + FEED_LOOKBACK + 60)


# --- The user service: record revocations ----------------------------------------------------
def revoke_tokens(tokens: Iterable[str]) -> None:
    """Revoke the cached identities of these session tokens (see :func:`revoke_hashes`)."""
    revoke_hashes(token_hash(token) for token in tokens if token)


def revoke_hashes(hashes: Iterable[str]) -> None:
    """Record revocations in the feed (in the current transaction) and, once it commits, write
    their markers into the identity cache."""
    from accounts.models import RevokedSession

    digests = sorted(set(hashes))
    if not digests:
        return
    now = timezone.now()
    RevokedSession.objects.bulk_create(
        [RevokedSession(token_hash=digest, created_at=now) for digest in digests]
    )
    RevokedSession.objects.filter(created_at__lt=now - retention()).delete()
    marker = uuid.uuid4().hex
    transaction.on_commit(lambda: _publish(digests, marker))


def revoke_user_sessions(user_ids: Iterable[Any]) -> None:
    """Revoke the cached identity of every live session of these users (they may stay valid)."""
    from allauth.usersessions.models import UserSession

    ids = [user_id for user_id in user_ids if user_id is not None]
    if ids:
        keys = UserSession.objects.filter(user_id__in=ids).values_list("session_key", flat=True)
        revoke_tokens(keys)


def _publish(digests: list[str], marker: str) -> None:
    markers = dict.fromkeys(digests, marker)
    identity_cache().set_many({MARKER_PREFIX + d: m for d, m in markers.items()}, marker_ttl())
    if poll_interval() > 0:  # this process reads markers from memory: it knows these already
        feed_reader.note(markers)


def revoke_ended_session(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A session ended (logout, password reset or change, expiry, user deleted): revoke it."""
    revoke_tokens([instance.session_key])


def revoke_changed_user(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """A user changed (deactivated, password, email, staff flags…): revoke their sessions."""
    update_fields = kwargs.get("update_fields")
    if created or (update_fields and set(update_fields) <= _UNTRACKED_USER_FIELDS):
        return
    revoke_user_sessions([instance.pk])


def revoke_role_change(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    """Roles are groups: a user's groups changed, from either side, so revoke their sessions."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:
        revoke_user_sessions([instance.pk])
    elif action == "pre_clear":
        revoke_user_sessions(instance.user_set.values_list("pk", flat=True))
    else:
        revoke_user_sessions(pk_set or ())


def connect_receivers() -> None:
    """Connect the receivers above to the models they watch (``AccountsConfig.ready``)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    if apps.is_installed("allauth.usersessions"):  # else accounts.E002 names it
        from allauth.usersessions.models import UserSession

        post_delete.connect(
            revoke_ended_session, sender=UserSession, dispatch_uid="accounts.revoke_ended_session"
        )
    user_model = get_user_model()
    post_save.connect(
        revoke_changed_user, sender=user_model, dispatch_uid="accounts.revoke_changed_user"
    )
    m2m_changed.connect(
        revoke_role_change,
        sender=user_model.groups.through,
        dispatch_uid="accounts.revoke_role_change",
    )


def feed(since: float | None) -> dict[str, Any]:
    """The feed's answer: the server's time and the revocations since ``since`` (epoch seconds).

    Without ``since`` (a reader's first read) only the time: its cache is empty. ``reset`` says
    that more happened than one answer carries: the reader drops its identity cache.
    """
    from accounts.models import RevokedSession

    now = time.time()
    if since is None:
        return {"now": now, "reset": False, "revoked": []}
    start = datetime.fromtimestamp(since - FEED_LOOKBACK, tz=UTC)
    rows = list(
        RevokedSession.objects.filter(created_at__gte=start)
        .order_by("id")
        .values_list("id", "token_hash")[: FEED_LIMIT + 1]
    )
    if len(rows) > FEED_LIMIT:
        return {"now": now, "reset": True, "revoked": []}
    return {
        "now": now,
        "reset": False,
        "revoked": [{"id": pk, "token_hash": digest} for pk, digest in rows],
    }


# --- Consumers: cached answers checked against their markers ---------------------------------
@dataclass(frozen=True)
class Lookup:
    """What the identity cache holds for one token: a usable answer, or the marker to keep."""

    answer: dict[str, Any] | None
    marker: Any = None
    cacheable: bool = True


def lookup(digest: str) -> Lookup:
    """The cached answer for a token hash if no revocation came after it.

    One cache read: ``get_many`` of the answer and its marker from a shared identity cache (one
    ``MGET`` on Redis), or a ``get`` of the answer when the markers come from the feed (they
    are then in this process's memory).
    """
    cache = identity_cache()
    entry_key = ENTRY_PREFIX + digest
    if poll_interval() > 0:
        if not feed_reader.ensure_fresh():
            return Lookup(None, cacheable=False)
        marker = feed_reader.marker(digest)
        entry = cache.get(entry_key)
    else:
        marker_key = MARKER_PREFIX + digest
        found = cache.get_many([entry_key, marker_key])
        marker, entry = found.get(marker_key), found.get(entry_key)
    if isinstance(entry, dict) and entry.get("marker") == marker:
        answer = entry.get("answer")
        if isinstance(answer, dict):
            return Lookup(answer, marker)
    return Lookup(None, marker)


def remember(digest: str, answer: dict[str, Any], ttl: int, found: Lookup) -> None:
    """Cache an answer with the marker seen *before* asking: a later revocation voids it."""
    if found.cacheable and ttl > 0:
        identity_cache().set(ENTRY_PREFIX + digest, {"answer": answer, "marker": found.marker}, ttl)


class RevocationFeed:
    """One process's reader of the user service's revocation feed (process-local caches only).

    The markers it reads stay in this process's memory (a dict: cheaper to consult on every
    request than a second cache read), each for ``marker_ttl()`` seconds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fresh_at = float("-inf")  # monotonic start of the last successful read
        self._server_now: float | None = None
        self._markers: dict[str, tuple[str, float]] = {}

    def ensure_fresh(self) -> bool:
        """Read the feed if the last read is older than the interval; whether the cache is safe."""
        interval = poll_interval()
        if interval <= 0:
            return True
        if time.monotonic() - self._fresh_at <= interval:
            return True
        with self._lock:
            if time.monotonic() - self._fresh_at <= interval:
                return True
            return self._read()

    def marker(self, digest: str) -> str | None:
        """The latest revocation marker this process knows for a token hash."""
        found = self._markers.get(digest)
        return found[0] if found is not None else None

    def note(self, markers: dict[str, str]) -> None:
        """Remember markers published by this very process (it need not wait for the feed)."""
        with self._lock:
            self._remember(markers)

    def _remember(self, markers: dict[str, str]) -> None:
        now = time.monotonic()
        kept = {digest: value for digest, value in self._markers.items() if value[1] > now}
        until = now + marker_ttl()
        kept.update({digest: (marker, until) for digest, marker in markers.items()})
        self._markers = kept

    def _read(self) -> bool:
        from accounts.authentication import identity_client
        from shared_core.http import ServiceError

        started = time.monotonic()
        params = {} if self._server_now is None else {"since": repr(self._server_now)}
        try:
            body = identity_client().get_json(FEED_PATH, params=params)
            data = unwrap(body)
            now = float(data["now"])
            revoked = [(int(e["id"]), str(e["token_hash"])) for e in data["revoked"]]
            reset = bool(data.get("reset"))
        except ServiceError as exc:
            logger.warning("revocation feed unavailable: %s", type(exc).__name__)
            return False
        except (TypeError, KeyError, ValueError, AttributeError):
            logger.warning("revocation feed answered an unexpected body")
            return False
        if reset:
            identity_cache().clear()
        else:
            self._remember({digest: f"feed:{pk}" for pk, digest in sorted(revoked)})
        self._server_now = now
        self._fresh_at = started
        return True

    def forget(self) -> None:
        """Start over, as a new process would (tests; settings changes)."""
        with self._lock:
            self._fresh_at = float("-inf")
            self._server_now = None
            self._markers = {}


#: This process's reader of the revocation feed.
feed_reader = RevocationFeed()
