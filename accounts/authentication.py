"""DRF authentication classes: session tokens, service tokens and remote (introspected) sessions.

- ``SessionTokenAuthentication``: for the identity owner (the user service). The session token
  comes in ``X-Session-Token`` (allauth's app-client header) or ``Authorization: Bearer``.
- ``ServiceTokenAuthentication``: a calling service's ``Authorization: Bearer <token>`` matched
  in constant time against ``ACCEPTED_SERVICE_TOKENS``; ``request.user`` is a ``ServicePrincipal``.
- ``RemoteSessionAuthentication``: for every other service. It asks the identity service's
  ``/internal/v1/introspect`` (with ``SERVICE_AUTH_TOKEN``) and gives a ``RemoteUser``. Only
  active answers are cached, for at most ``IDENTITY_CACHE_TTL`` seconds and never past the
  session's own deadline, and a revocation voids them within a bound (``accounts.revocation``).
  If the identity service cannot answer, it fails closed: 503 ``upstream_unavailable``, never
  401 and never "let in"; if it refuses this service's own ``SERVICE_AUTH_TOKEN``, 502
  ``upstream_misconfigured`` with an error log line naming the variable.

Failed authentication has a per-client budget on the consumer (:class:`FailedAuthenticationBudget`,
the ``auth_failure`` throttle rate): a token that is not cached spends one unit *before* it is
introspected and gets it back if the token is live, so a client sending made-up tokens gets 401s,
then 429s of its own, and costs the identity service at most its budget of introspections. The
client's address goes along with the introspection (``client_ip``) so the identity service's
quota is per end client too.

Tokens are never logged: log lines name the service or a short hash at most.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from accounts import revocation
from accounts.conf import accounts_settings
from accounts.exceptions import InvalidSessionError
from accounts.sessions import is_well_formed_token
from apipatterns.envelope import unwrap
from shared_core.conf import shared_core_settings

logger = logging.getLogger(__name__)

INTROSPECT_PATH = "internal/v1/introspect"
CACHE_PREFIX = revocation.ENTRY_PREFIX
_MAX_TOKEN_LENGTH = 512
#: The ``auth_failure`` rate when ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` does not set one.
DEFAULT_AUTH_FAILURE_RATE = "30/min"


def token_from_request(request: HttpRequest | Request) -> str | None:
    """The session token of a request: ``X-Session-Token`` first, else ``Authorization: Bearer``."""
    token = request.headers.get("X-Session-Token", "").strip()
    if token:
        return token
    return bearer_token(request)


def bearer_token(request: HttpRequest | Request) -> str | None:
    """The credentials of ``Authorization: Bearer <token>``, if that is the header's scheme."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    credentials = credentials.strip()
    return credentials or None


class _Principal:
    """What Django and DRF expect of ``request.user``, for identities that are not local users.

    They have no local Django permissions: views grant access by role (``HasRole``) instead.
    """

    id: str
    is_service: ClassVar[bool] = False
    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_active: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_superuser: ClassVar[bool] = False

    @property
    def pk(self) -> str:
        """Same as ``id`` (throttles and logs use ``pk``)."""
        return self.id

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """No local Django permissions; use roles."""
        return False


@dataclass(frozen=True)
class RemoteUser(_Principal):
    """An end user known to the identity service, as introspection described them."""

    id: str
    email: str = ""
    roles: frozenset[str] = frozenset()
    expires_at: str | None = None
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    def get_username(self) -> str:
        """The email, as Django's user API expects."""
        return self.email

    def __str__(self) -> str:
        return self.email or self.id


@dataclass(frozen=True)
class ServicePrincipal(_Principal):
    """A calling service, authenticated by its service token."""

    name: str
    roles: frozenset[str] = frozenset()
    is_service: ClassVar[bool] = True

    @property
    def id(self) -> str:  # type: ignore[override]
        """``service:<name>``: distinct from any user id."""
        return f"service:{self.name}"

    def get_username(self) -> str:
        """The service's id."""
        return self.id

    def __str__(self) -> str:
        return self.id


def match_service_token(token: str | None) -> str | None:
    """The name of the service whose accepted token this is, else None (constant time)."""
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    presented = token.encode()
    found = None
    # Compare against every entry, without stopping early, so timing says nothing about which
    # (or whether any) token matched.
    for name, expected in dict(accounts_settings.ACCEPTED_SERVICE_TOKENS).items():
        if expected and hmac.compare_digest(presented, str(expected).encode()):
            found = name
    return found


class ServiceTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <service token>`` from ``ACCEPTED_SERVICE_TOKENS``.

    A bearer token that is not a service token is left to the next class (it may be a user's
    session token); a view that only accepts services answers 401 when nothing matched.
    """

    def authenticate(self, request: Request) -> tuple[ServicePrincipal, None] | None:
        name = match_service_token(bearer_token(request))
        if name is None:
            return None
        return ServicePrincipal(name=name), None

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="service"'


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's ``XSessionTokenAuthentication`` for the identity owner, with our answers.

    allauth looks the token up through ``HEADLESS_TOKEN_STRATEGY``
    (``accounts.allauth_bridge.SessionTokenStrategy``: idle and absolute timeouts, cookie
    sessions refused) and finds its user with Django's ``get_user`` (a password change voids
    it). On top of that: the token may also come as ``Authorization: Bearer`` (a service token
    there is left to ``ServiceTokenAuthentication``), a token that is not live is a 401
    ``invalid_session`` problem rather than anonymous, and ``request.auth`` is the token.
    """

    def get_session_token(self, request: HttpRequest | Request) -> str | None:
        """``X-Session-Token``, else a bearer token that is not an accepted service token."""
        token = token_from_request(request)
        if not token:
            return None
        if request.headers.get("X-Session-Token") is None and match_service_token(token):
            return None  # a service token in Authorization: left to ServiceTokenAuthentication
        return token

    def authenticate(self, request: Request) -> tuple[Any, str] | None:  # type: ignore[override]
        token = self.get_session_token(request)
        if not token:
            return None
        result = super().authenticate(request)
        if not result:
            raise InvalidSessionError()
        user = result[0]
        if user is None or not user.is_authenticated or not user.is_active:
            raise InvalidSessionError()
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class FailedAuthenticationBudget:
    """A client's budget of failed token checks on a consumer (fixed window, shared cache).

    The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth_failure"]`` (default
    ``DEFAULT_AUTH_FAILURE_RATE``; ``None`` switches it off); the client is its address, by the
    same ``NUM_PROXIES`` rule as DRF's throttles. :meth:`spend` takes one unit before a token is
    checked and raises ``Throttled`` (429 with ``Retry-After``) when none is left; :meth:`refund`
    gives it back when the token turned out live, so only failures count.
    """

    scope = "auth_failure"
    key_prefix = "accounts:auth-failure:"

    def __init__(self, request: Request) -> None:
        self.client = BaseThrottle().get_ident(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope, DEFAULT_AUTH_FAILURE_RATE)
        self.limit, self.duration = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
        self.key: str | None = None

    def spend(self) -> None:
        """Count one check; raise ``Throttled`` if the client has no budget left."""
        if self.limit is None or self.duration is None:
            return
        now = time.time()
        window = int(now // self.duration)
        self.key = f"{self.key_prefix}{self.client}:{window}"
        window_end = (window + 1) * self.duration
        if _increment(self.key, math.ceil(window_end - now) + 1) > self.limit:
            raise exceptions.Throttled(
                wait=max(1, math.ceil(window_end - now)),
                detail="Too many requests with an invalid session token.",
            )

    def refund(self) -> None:
        """Give the unit back (the token was live, or the identity service could not say)."""
        if self.key is None:
            return
        with contextlib.suppress(ValueError):  # the window ended meanwhile
            cache.decr(self.key)
        self.key = None


def _increment(key: str, timeout: int) -> int:
    """``incr``, creating the counter at 1 with ``timeout`` when it does not exist yet."""
    try:
        return cache.incr(key)
    except ValueError:
        pass
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # created and expired in between
        return 1


class RemoteSessionAuthentication(BaseAuthentication):
    """Session tokens checked by the identity service's introspection endpoint."""

    def authenticate(self, request: Request) -> tuple[RemoteUser, str] | None:
        token = token_from_request(request)
        if not token:
            return None
        answer = self._introspect(token, request)
        if not answer.get("active"):
            raise InvalidSessionError()
        user = answer.get("user") or {}
        return (
            RemoteUser(
                id=str(user.get("id", "")),
                email=str(user.get("email", "")),
                roles=frozenset(user.get("roles") or ()),
                expires_at=answer.get("expires_at"),
                data=dict(user),
            ),
            token,
        )

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'

    @staticmethod
    def cache_key(token: str) -> str:
        """Cache key for a token: its SHA-256, so the cache never holds the token itself."""
        return CACHE_PREFIX + revocation.token_hash(token)

    def _introspect(self, token: str, request: Request) -> dict[str, Any]:
        """The identity answer for ``token``: cached (unless revoked since), else asked for.

        A token that is not cached spends the client's failed-authentication budget first;
        one that cannot be a session token (too long, wrong alphabet) is refused here without
        asking anybody, but still spends it.
        """
        digest = revocation.token_hash(token) if len(token) <= _MAX_TOKEN_LENGTH else ""
        found = revocation.lookup(digest) if digest else revocation.Lookup(None, cacheable=False)
        if found.answer is not None:
            return found.answer
        budget = FailedAuthenticationBudget(request)
        budget.spend()
        if not is_well_formed_token(token):
            return {"active": False}
        try:
            answer = self._call_identity_service(token, budget.client)
        except IdentityUnavailableError:
            budget.refund()
            raise
        if answer.get("active"):
            budget.refund()
            revocation.remember(digest, answer, self._cache_ttl(answer), found)
        return answer

    def _cache_ttl(self, answer: dict[str, Any]) -> int:
        ttl = int(accounts_settings.IDENTITY_CACHE_TTL)
        expires_at = answer.get("expires_at")
        if expires_at:
            try:
                remaining = datetime.fromisoformat(expires_at).timestamp() - time.time()
            except (TypeError, ValueError):
                return 0
            ttl = min(ttl, int(remaining))
        return max(ttl, 0)

    def _call_identity_service(self, token: str, client_ip: str | None = None) -> dict[str, Any]:
        """POST the token to the identity service; any failure there is a 503, not a 401."""
        from shared_core.http import ServiceError, ServiceHTTPError

        payload = {"token": token}
        if client_ip:
            payload["client_ip"] = client_ip
        try:
            answer = identity_client().post_json(INTROSPECT_PATH, payload)
        except ServiceHTTPError as exc:
            if exc.status not in (401, 403):
                logger.warning("identity service introspection failed: %s", type(exc).__name__)
                raise IdentityUnavailableError() from exc
            logger.error(
                "identity service refused this service's SERVICE_AUTH_TOKEN (HTTP %s): set "
                "SERVICE_AUTH_TOKEN to the token the identity service lists for this service "
                "in its ACCEPTED_SERVICE_TOKENS",
                exc.status,
            )
            raise IdentityMisconfiguredError() from exc
        except ServiceError as exc:
            logger.warning("identity service introspection failed: %s", type(exc).__name__)
            raise IdentityUnavailableError() from exc
        data = unwrap(answer)
        if not isinstance(data, dict) or not isinstance(data.get("active"), bool):
            logger.warning("identity service introspection answered an unexpected body")
            raise IdentityUnavailableError()
        return data


def identity_client() -> Any:
    """The identity service's shared client (``IDENTITY_SERVICE_URL``, ``SERVICE_AUTH_TOKEN``)."""
    return _identity_client(
        accounts_settings.IDENTITY_SERVICE_URL, shared_core_settings.SERVICE_AUTH_TOKEN
    )


def _identity_client(base_url: str, auth_token: str) -> Any:
    """The shared client (connection pool) of the identity service at ``base_url``.

    Authentication sits in front of every request, so it fails fast: one retry and a deadline of
    at most 5 s, after which the request is answered 503 rather than held up.
    """
    from shared_core.http import client_for

    return client_for(
        "identity",
        base_url=base_url,
        auth_token=auth_token,
        retries=1,
        deadline=min(float(shared_core_settings.HTTP_CLIENT_DEADLINE), 5.0),
    )


class IdentityUnavailableError(exceptions.APIException):
    """The identity service could not say whether a token is valid: fail closed."""

    status_code = 503
    default_code = "upstream_unavailable"
    default_detail = "The identity service is unavailable; try again shortly."


class IdentityMisconfiguredError(IdentityUnavailableError):
    """The identity service refused this service's own token (401/403): a configuration error.

    Retrying cannot help, so it is not "unavailable": 502 ``upstream_misconfigured``, and an
    error log line names ``SERVICE_AUTH_TOKEN``. Still fails closed (never 401, never let in).
    """

    status_code = 502
    default_code = "upstream_misconfigured"
    default_detail = (
        "This service is not configured correctly to check sessions; contact its operator."
    )
