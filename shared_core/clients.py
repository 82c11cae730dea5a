"""Service-to-service HTTP calls: ``HTTPClient`` and its typed exceptions.

The exceptions are the contract callers and ``apipatterns`` rely on:
timeouts map to 504 ``upstream_timeout``; connection failures, 503/429 and an open circuit to 503
``upstream_unavailable``; any other downstream error or a non-JSON body to 502 ``upstream_error``.

Design: who retries, urllib3 or us
----------------------------------
urllib3's ``Retry`` (mounted on a requests ``HTTPAdapter``) retries *inside* one ``urlopen`` call,
so it cannot do what a service-to-service client needs:

* it reuses the same connect/read timeouts on every attempt and sleeps for backoff and for
  ``Retry-After`` without knowing about our deadline (a ``Retry-After: 3600`` is slept, capped
  only by ``retry_after_max``, six hours by default);
* requests reads the body *after* ``urlopen`` returns, so a truncated body or a read timeout in
  the middle of the body is never retried (and surfaces as ``ChunkedEncodingError`` or a
  ``requests.ConnectionError`` that hides a read timeout);
* it cannot give each attempt its own log line or report each attempt to a circuit breaker.

So the adapter gets ``Retry(0, read=False)`` (exactly one attempt, requests' own default) and
:class:`HTTPClient` runs the retry loop itself. What urllib3 does well we still use: its
``Timeout(connect, read, total)`` cuts every attempt's timeouts to the time left before the
deadline, its ``Retry.DEFAULT_ALLOWED_METHODS`` is our set of idempotent methods, and
``Retry.parse_retry_after`` reads ``Retry-After`` in both forms (seconds and HTTP date).
The body is read by our loop (``HTTPResponse.read1``), re-arming the socket timeout before each
read to ``min(read timeout, time left)``, so a body drip-fed a byte at a time cannot outlive the
deadline either.

Retry rules (``retries`` = attempts after the first; every attempt is bounded by the deadline):

* could not connect, connect timeout, no free pooled connection: any method (nothing was sent);
* read timeout, connection dropped before an answer, truncated body, 429/502/503/504: idempotent
  methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) only; POST/PATCH only with an
  ``Idempotency-Key``, and then with the SAME key on every attempt;
* 429/503 ``Retry-After`` is honoured; when it is longer than the time left, the call fails at
  once with :class:`ServiceUnavailableError` (``retry_after`` set);
* otherwise the wait is exponential with "equal jitter": ``cap / 2 + uniform(0, cap / 2)`` where
  ``cap = min(backoff_max, backoff_factor * 2 ** (retry - 1))`` (capped before the power is
  computed, so any ``retries`` value is safe); a wait that would run past the
  deadline is not started: the last error is raised at once;
* request bodies that cannot be replayed (generators, open files) are sent once.

The proxy and CA-bundle environment variables (``HTTP(S)_PROXY``, ``NO_PROXY``,
``REQUESTS_CA_BUNDLE``) are read once, when the client is built, for its one host.

Thread safety
-------------
One client may be shared by any number of threads (and should be: one per downstream service,
built once, e.g. at module level). Its ``requests.Session`` is configured at construction and
never mutated afterwards; cookies are never stored (a ``Set-Cookie`` from one user's call must not
ride along on another's); per-call state lives on the stack; urllib3's pool is thread safe. The
pool blocks (``pool_block=True``): at most ``pool_maxsize`` connections per host exist, so no
"Connection pool is full" warning; a thread that finds every connection busy waits for one, at
most until its deadline, then fails with :class:`DeadlineExceededError` (nothing was sent).
"""

from __future__ import annotations

import http.cookiejar
import json as jsonlib
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError, EmptyPoolError, MaxRetryError, NewConnectionError
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeoutError
from urllib3.util import Retry, Timeout

from shared_core.circuit_breaker import CircuitBreaker, get_circuit_breaker
from shared_core.redaction import redact_text
from shared_core.request_id import REQUEST_ID_HEADER, get_request_id

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
#: Methods that may be re-sent after the request reached the server (RFC 9110 idempotent).
IDEMPOTENT_METHODS = frozenset(Retry.DEFAULT_ALLOWED_METHODS)
#: Answers worth another attempt (for idempotent or keyed requests).
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Answers that mean "overloaded / down, come back later" and may carry ``Retry-After``.
UNAVAILABLE_STATUSES = frozenset({429, 503})
BODY_SNIPPET_CHARS = 500
_READ_CHUNK = 64 * 1024
# A timeout that ends this close to the deadline is the deadline's doing, not the server's.
_DEADLINE_SLACK = 0.02
_RETRY_AFTER_PARSER = Retry(0)


# --- Exceptions ---------------------------------------------------------------------------------


class ServiceError(Exception):
    """Base of every error raised by :class:`HTTPClient`.

    ``method`` and ``url`` (query secrets redacted) name the call; ``attempts`` says how many
    attempts were made (0 when none was, e.g. the circuit was open).
    """

    #: Whether the request may have reached the server (so it may have had an effect).
    request_sent: bool = True

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.attempts = 0


class ServiceConnectionError(ServiceError):
    """The downstream service could not be reached (nothing was sent), or, for the
    :class:`IncompleteResponseError` subclass, the connection broke before a full answer."""

    request_sent = False


class IncompleteResponseError(ServiceConnectionError):
    """The connection broke after the request was sent: it closed without an answer, or the
    body was shorter than announced. The request may have had an effect."""

    request_sent = True


class ServiceTimeoutError(ServiceError):
    """The downstream service did not connect or answer in time."""


class ServiceConnectTimeoutError(ServiceTimeoutError):
    """No connection within the connect timeout; nothing was sent."""

    request_sent = False


class ServiceReadTimeoutError(ServiceTimeoutError):
    """The request was sent but the answer (headers or body) did not come within the read
    timeout."""


class DeadlineExceededError(ServiceTimeoutError):
    """The call's overall deadline ran out (retries and backoff included)."""


class ServiceHTTPError(ServiceError):
    """The downstream service answered with an error status (>= 400), or with a redirect where a
    JSON answer was expected. ``body_snippet`` is the start of the body, secrets redacted."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body_snippet: str = "",
        downstream_request_id: str | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.body_snippet = body_snippet
        self.downstream_request_id = downstream_request_id


class ServiceUnavailableError(ServiceHTTPError):
    """The downstream service is overloaded or down (503/429), possibly saying when to retry."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class CircuitOpenError(ServiceError):
    """The circuit breaker for this host is open: no call was made."""

    request_sent = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: str) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InvalidJSONError(ServiceError):
    """The response body was expected to be JSON and was not."""

    def __init__(self, message: str, *, status: int = 0, body_snippet: str = "", **kwargs: str):
        super().__init__(message, **kwargs)
        self.status = status
        self.body_snippet = body_snippet


# --- Transport: a pool that never waits forever ---------------------------------------------------


# How long this thread's current urlopen() waited for a pooled connection (pools are shared by
# threads; one thread runs one urlopen() at a time).
_pool_wait = threading.local()


class _BoundedWaitMixin:
    """Keep the wait for a pooled connection inside the call's deadline.

    With ``pool_block=True`` urllib3 waits for a free connection with no time limit unless it is
    given a ``pool_timeout``, which requests never passes: wait at most ``Timeout.total`` (the
    time left before the deadline). urllib3 also starts the ``total`` clock only once it holds a
    connection, so the time spent waiting is taken off ``total`` before the request is made.
    """

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        if kwargs.get("pool_timeout") is None and isinstance(timeout, Timeout):
            total = timeout.total
            kwargs["pool_timeout"] = (
                total if isinstance(total, int | float) else timeout.connect_timeout
            )
        _pool_wait.asked_at = time.monotonic()
        _pool_wait.waited = 0.0
        return super().urlopen(method, url, *args, **kwargs)  # type: ignore[misc]

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        asked_at = getattr(_pool_wait, "asked_at", None)
        if asked_at is not None:
            _pool_wait.waited = time.monotonic() - asked_at
        return conn

    def _make_request(self, conn: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        waited = getattr(_pool_wait, "waited", 0.0)
        _pool_wait.waited = 0.0
        timeout = kwargs.get("timeout")
        if (
            waited > 0.001
            and isinstance(timeout, Timeout)
            and isinstance(timeout.total, int | float)
        ):
            left = max(timeout.total - waited, 0.001)
            kwargs["timeout"] = Timeout(
                connect=min(timeout.connect_timeout, left), read=timeout.read_timeout, total=left
            )
        return super()._make_request(conn, method, url, *args, **kwargs)  # type: ignore[misc]


class _HTTPPool(_BoundedWaitMixin, HTTPConnectionPool):
    pass


class _HTTPSPool(_BoundedWaitMixin, HTTPSConnectionPool):
    pass


class _BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer <token>`` (nothing when the token is empty)."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class _Adapter(HTTPAdapter):
    """requests' adapter with our bounded-wait pools."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


# --- The client -----------------------------------------------------------------------------------


def _setting(name: str) -> Any:
    """A ``shared_core`` setting (its default when Django settings are not configured)."""
    from shared_core.conf import shared_core_settings

    return getattr(shared_core_settings, name)


def _positive(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}") from None
    if not number > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return number


def _timeouts(value: Any) -> tuple[float, float]:
    """``5`` or ``(connect, read)`` -> ``(connect, read)``; a timeout is always applied."""
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError("timeout must be a number or a (connect, read) pair")
        return _positive("connect timeout", value[0]), _positive("read timeout", value[1])
    seconds = _positive("timeout", value)
    return seconds, seconds


@dataclass(slots=True)
class _Attempt:
    """What one attempt gave: a response with its body read, or an error."""

    outcome: str
    response: requests.Response | None = None
    error: ServiceError | None = None
    # True: the host failed (breaker counts it); False: it answered; None: says nothing.
    host_failed: bool | None = None
    # May another attempt help (before the method's idempotency is considered)?
    transient: bool = False
    # True when nothing reached the server, so any method may be re-sent.
    nothing_sent: bool = False
    retry_after: float | None = None


class HTTPClient:
    """Calls one downstream service: timeouts always, a deadline per call, safe retries, a
    per-host circuit breaker, request-ID forwarding, one log line per attempt, typed errors.

    ``None`` arguments come from settings (``HTTP_CLIENT_*``, ``SERVICE_NAME``); the auth token
    (``SERVICE_AUTH_TOKEN``, else ``AUTH_TOKEN``) is read at every call unless ``auth_token`` is
    given. ``timeout`` is a number or ``(connect, read)``; ``deadline`` bounds a whole call.
    ``circuit_breaker`` is True (the process-wide breaker of this host), False, or a
    :class:`~shared_core.circuit_breaker.CircuitBreaker`. ``service_name`` (this service's name)
    goes into the ``User-Agent``. Safe to share between threads (see the module docstring).

    >>> users = HTTPClient("http://user-service:8001/api/v1/")
    >>> users.get_json("users/42")  # GET http://user-service:8001/api/v1/users/42
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth_token: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        deadline: float | None = None,
        retries: int | None = None,
        backoff_factor: float | None = None,
        backoff_max: float | None = None,
        pool_maxsize: int | None = None,
        headers: Mapping[str, str] | None = None,
        circuit_breaker: bool | CircuitBreaker = True,
        service_name: str | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an absolute http(s) URL, not {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError("base_url must not have a query string or a fragment")
        if parts.username or parts.password:
            # requests would turn them into Basic auth over our bearer token (and log-able URLs).
            raise ValueError("base_url must not hold credentials: use auth_token")
        # "http://h/api/v1" and "http://h/api/v1/" both mean: paths go under /api/v1/.
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.origin = f"{parts.scheme}://{parts.netloc}"

        if timeout is None:
            timeout = (
                _setting("HTTP_CLIENT_CONNECT_TIMEOUT"),
                _setting("HTTP_CLIENT_READ_TIMEOUT"),
            )
        self.connect_timeout, self.read_timeout = _timeouts(timeout)
        self.deadline = _positive(
            "deadline", _setting("HTTP_CLIENT_DEADLINE") if deadline is None else deadline
        )
        self.retries = int(_setting("HTTP_CLIENT_RETRIES") if retries is None else retries)
        if self.retries < 0:
            raise ValueError("retries must be 0 or more")
        if backoff_factor is None:
            backoff_factor = _setting("HTTP_CLIENT_BACKOFF_FACTOR")
        self.backoff_factor = float(backoff_factor)
        self.backoff_max = float(
            _setting("HTTP_CLIENT_BACKOFF_MAX") if backoff_max is None else backoff_max
        )
        if not (
            0 <= self.backoff_factor < math.inf and 0 <= self.backoff_max < math.inf
        ):  # NaN fails too
            raise ValueError("backoff_factor and backoff_max must be finite and not negative")
        self.pool_maxsize = int(
            _setting("HTTP_CLIENT_POOL_MAXSIZE") if pool_maxsize is None else pool_maxsize
        )
        if self.pool_maxsize < 1:
            raise ValueError("pool_maxsize must be at least 1")
        self._auth_token = auth_token

        if circuit_breaker is True:
            self.circuit_breaker: CircuitBreaker | None = get_circuit_breaker(
                self.origin,
                int(_setting("HTTP_CLIENT_BREAKER_FAILURES")),
                float(_setting("HTTP_CLIENT_BREAKER_RESET")),
            )
        elif circuit_breaker is False or circuit_breaker is None:
            self.circuit_breaker = None
        else:
            self.circuit_breaker = circuit_breaker

        name = service_name or _setting("SERVICE_NAME")
        session = requests.Session()
        # Never keep cookies between calls: calls made for different users share this session.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.headers["User-Agent"] = (
            f"{name} (shared_core.HTTPClient; python-requests/{requests.__version__})"
        )
        session.headers["Accept"] = "application/json"
        session.headers.update(headers or {})
        # One attempt per send (requests' own default policy); the loop below does the retrying.
        adapter = _Adapter(
            pool_connections=1,
            pool_maxsize=self.pool_maxsize,
            pool_block=True,
            max_retries=Retry(0, read=False),
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._session = session
        # Proxies (HTTP(S)_PROXY, NO_PROXY) and the CA bundle (REQUESTS_CA_BUNDLE) for our one
        # host, read from the environment once: requests would scan os.environ twice per call.
        self._send_kwargs = session.merge_environment_settings(self.base_url, {}, True, None, None)

    def __repr__(self) -> str:
        return f"<HTTPClient {self.base_url}>"

    def __enter__(self) -> HTTPClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    # --- Public API ---------------------------------------------------------------------------

    def url_for(self, path: str) -> str:
        """Join ``path`` to ``base_url``: ``"users/42"`` and ``"/users/42"`` both land under the
        base path. Absolute URLs are refused so the auth token only goes to ``base_url``'s host."""
        if path.startswith("//") or "://" in path.partition("?")[0]:
            raise ValueError(f"path must be relative to {self.base_url}, not {path!r}")
        return self.base_url + path.lstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str | None] | None = None,
        timeout: float | tuple[float, float] | None = None,
        deadline: float | None = None,
        idempotency_key: str | bool | None = None,
        raise_for_status: bool = True,
    ) -> requests.Response:
        """Make one call (with its retries) and return the response, its body already read.

        ``idempotency_key`` (a string, or True for a fresh UUID) is sent as ``Idempotency-Key``
        and makes POST/PATCH retryable. Statuses >= 400 raise :class:`ServiceHTTPError` (or
        :class:`ServiceUnavailableError` for 429/503) unless ``raise_for_status`` is False.
        """
        method = method.upper()
        url = self.url_for(path)
        connect_timeout, read_timeout = (
            (self.connect_timeout, self.read_timeout) if timeout is None else _timeouts(timeout)
        )
        budget = self.deadline if deadline is None else _positive("deadline", deadline)
        deadline_at = time.monotonic() + budget

        call_headers: dict[str, str | None] = dict(headers or {})
        if idempotency_key is True:
            idempotency_key = uuid.uuid4().hex
        if idempotency_key:
            call_headers[IDEMPOTENCY_KEY_HEADER] = str(idempotency_key)
        has_key = any(
            k.lower() == IDEMPOTENCY_KEY_HEADER.lower() and v for k, v in call_headers.items()
        )
        token = (
            self._auth_token
            if self._auth_token is not None
            else _setting("SERVICE_AUTH_TOKEN") or _setting("AUTH_TOKEN")
        )
        request_id = get_request_id()
        if request_id:
            call_headers[REQUEST_ID_HEADER] = request_id

        session = self._session
        prepared = session.prepare_request(
            requests.Request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                files=files,
                headers=call_headers,
                # Always an auth object, so requests never consults ~/.netrc (whose Basic auth
                # would replace the bearer token).
                auth=_BearerAuth(token),
            )
        )
        call = _Call(
            client=self,
            prepared=prepared,
            send_kwargs=self._send_kwargs,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline_at=deadline_at,
            # Only a body we hold in memory can be sent twice.
            replayable=prepared.body is None or isinstance(prepared.body, bytes | str),
            idempotent=method in IDEMPOTENT_METHODS or has_key,
            request_id=request_id,
        )
        response = call.run()
        if raise_for_status and response.status_code >= 400:
            raise call.http_error(response, call.attempts)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET ``path`` (see :meth:`request` for the keyword arguments)."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST ``path``; retried after it may have been sent only with ``idempotency_key``."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """PUT ``path``."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        """PATCH ``path``; retried after it may have been sent only with ``idempotency_key``."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """DELETE ``path``."""
        return self.request("DELETE", path, **kwargs)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET ``path`` and return its JSON (``None`` for 204)."""
        return self._json(self.request("GET", path, **kwargs))

    def post_json(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        """POST ``payload`` as JSON and return the JSON answer (``None`` for 204)."""
        return self._json(self.request("POST", path, json=_payload(payload, kwargs), **kwargs))

    def put_json(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        """PUT ``payload`` as JSON and return the JSON answer (``None`` for 204)."""
        return self._json(self.request("PUT", path, json=_payload(payload, kwargs), **kwargs))

    def patch_json(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        """PATCH ``payload`` as JSON and return the JSON answer (``None`` for 204)."""
        return self._json(self.request("PATCH", path, json=_payload(payload, kwargs), **kwargs))

    def delete_json(self, path: str, **kwargs: Any) -> Any:
        """DELETE ``path`` and return the JSON answer (``None`` for 204)."""
        return self._json(self.request("DELETE", path, **kwargs))

    # --- Internals ------------------------------------------------------------------------------

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 = the first retry): exponential,
        capped at ``backoff_max``, with "equal jitter" so that callers spread out."""
        cap = _capped_exponential(self.backoff_factor, self.backoff_max, retry_number - 1)
        # Jitter only spreads retries out; it needs no cryptographic randomness.
        return cap / 2 + random.uniform(0, cap / 2)  # noqa: S311

    def _json(self, response: requests.Response) -> Any:
        """Status first (2xx expected), then a JSON media type, then the parse."""
        status = response.status_code
        if status == 204:
            return None
        method, url = response.request.method or "", _safe_url(response.request.url or "")
        if not 200 <= status < 300:
            raise _http_error(
                f"{method} {url}: expected a 2xx JSON answer, got {status}", response, method, url
            )
        content_type = response.headers.get("Content-Type", "")
        media_type = content_type.partition(";")[0].strip().lower()
        if not (media_type == "application/json" or media_type.endswith("+json")):
            raise InvalidJSONError(
                f"{method} {url}: expected JSON, got {content_type or 'no Content-Type'}",
                status=status,
                body_snippet=_snippet(response),
                method=method,
                url=url,
            )
        try:
            return jsonlib.loads(response.content)
        except ValueError as exc:
            raise InvalidJSONError(
                f"{method} {url}: the body is not valid JSON ({exc})",
                status=status,
                body_snippet=_snippet(response),
                method=method,
                url=url,
            ) from exc


def _capped_exponential(factor: float, cap: float, exponent: int) -> float:
    """``min(cap, factor * 2 ** exponent)`` without ever computing a huge power.

    The cap is applied before the exponentiation, so any attempt number (a client built with
    ``retries=10_000``) gives ``cap`` instead of an ``OverflowError``.
    """
    if factor <= 0 or cap <= 0:
        return 0.0
    exponent = max(exponent, 0)
    # 2 ** exponent reaches cap / factor after log2(cap / factor) doublings.
    if exponent >= math.log2(cap / factor):
        return cap
    return min(cap, factor * 2.0**exponent)


def _payload(payload: Any, kwargs: dict[str, Any]) -> Any:
    """``post_json(path, payload)`` and ``post_json(path, json=payload)`` both work."""
    if "json" in kwargs:
        if payload is not None:
            raise TypeError("pass the JSON payload once: positionally or as json=")
        return kwargs.pop("json")
    return payload


def _safe_url(url: str) -> str:
    """The URL with secret-looking query values redacted (for messages and exceptions)."""
    return redact_text(url)


def _snippet(response: requests.Response) -> str:
    body = response.content[: BODY_SNIPPET_CHARS * 4]
    text = body.decode(response.encoding or "utf-8", errors="replace")[:BODY_SNIPPET_CHARS]
    return redact_text(text)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(_RETRY_AFTER_PARSER.parse_retry_after(value))
    except Exception:
        # An unreadable Retry-After is ignored: our own backoff applies.
        return None


def _http_error(message: str, response: requests.Response, method: str, url: str) -> ServiceError:
    status = response.status_code
    common: dict[str, Any] = {
        "status": status,
        "body_snippet": _snippet(response),
        "downstream_request_id": response.headers.get(REQUEST_ID_HEADER),
        "method": method,
        "url": url,
    }
    if status in UNAVAILABLE_STATUSES:
        return ServiceUnavailableError(message, retry_after=_retry_after(response), **common)
    return ServiceHTTPError(message, **common)


def _is_connect_failure(exc: requests.ConnectionError) -> bool:
    """Did the connection fail to open (nothing sent), rather than break after sending?"""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


class _Call:
    """One call's retry loop (lives on the caller's stack: nothing here is shared)."""

    def __init__(
        self,
        *,
        client: HTTPClient,
        prepared: requests.PreparedRequest,
        send_kwargs: dict[str, Any],
        connect_timeout: float,
        read_timeout: float,
        deadline_at: float,
        replayable: bool,
        idempotent: bool,
        request_id: str | None,
    ) -> None:
        self.client = client
        self.prepared = prepared
        self.send_kwargs = send_kwargs
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline_at = deadline_at
        self.replayable = replayable
        self.idempotent = idempotent
        self.request_id = request_id
        self.method = prepared.method or "GET"
        self.path = urlsplit(prepared.url or "").path or "/"
        self.attempts = 0

    @property
    def url(self) -> str:
        return _safe_url(self.prepared.url or "")

    def run(self) -> requests.Response:
        client = self.client
        breaker = client.circuit_breaker
        max_attempts = client.retries + 1 if self.replayable else 1
        last_error: ServiceError | None = None
        while True:
            remaining = self.deadline_at - time.monotonic()
            if remaining <= 0:
                raise self._deadline_error(last_error)
            admitted_at = None
            if breaker is not None:
                admitted_at = breaker.clock()
                wait = breaker.allow()
                if wait is not None:
                    if last_error is not None:
                        # The breaker opened during our own retries: the real cause is better.
                        last_error.attempts = self.attempts
                        raise last_error
                    self._log(self.attempts + 1, "circuit_open", None, 0.0, False)
                    error = CircuitOpenError(
                        f"{self.method} {self.url}: circuit open for {client.origin} "
                        f"(next probe in {wait:.1f} s)",
                        retry_after=wait,
                        method=self.method,
                        url=self.url,
                    )
                    raise error
            self.attempts += 1
            started = time.monotonic()
            try:
                result = self._attempt(remaining)
            except BaseException:
                # Not a verdict on the host (a bug, KeyboardInterrupt): free a probe slot.
                if breaker is not None:
                    breaker.release()
                raise
            duration = time.monotonic() - started
            if breaker is not None:
                if result.host_failed is True:
                    breaker.record_failure(started_at=admitted_at)
                elif result.host_failed is False:
                    breaker.record_success()
                else:
                    breaker.release()

            delay = None
            retryable = result.transient and (result.nothing_sent or self.idempotent)
            if retryable and self.attempts < max_attempts:
                time_left = self.deadline_at - time.monotonic()
                if result.retry_after is not None:
                    # The server said when; sooner is pointless, later than our deadline is
                    # impossible: then give up now rather than sleep into a certain failure.
                    delay = result.retry_after if result.retry_after < time_left else None
                else:
                    backoff = client.backoff(self.attempts)
                    delay = backoff if backoff < time_left else None
            status = result.response.status_code if result.response is not None else None
            self._log(self.attempts, result.outcome, status, duration, delay is not None)

            if delay is None:
                if result.error is not None:
                    result.error.attempts = self.attempts
                    raise result.error
                assert result.response is not None
                return result.response
            if result.error is not None:
                last_error = result.error
            elif result.response is not None:
                last_error = self.http_error(result.response, self.attempts)
            time.sleep(delay)

    def _attempt(self, remaining: float) -> _Attempt:
        """Send once and read the whole body, every wait bounded by the deadline."""
        # urllib3 cuts connect and read (headers) to `total`, the time left for the call.
        timeout = Timeout(connect=self.connect_timeout, read=self.read_timeout, total=remaining)
        try:
            response = self.client._session.send(
                self.prepared, timeout=timeout, allow_redirects=False, **self.send_kwargs
            )
        except requests.exceptions.SSLError as exc:
            # Certificates do not fix themselves between attempts.
            return self._fail("tls_error", ServiceConnectionError, "TLS failed", exc, True)
        except requests.exceptions.ConnectTimeout as exc:
            if self._deadline_hit():
                return self._fail(
                    "connect_timeout", DeadlineExceededError, "", exc, True, sent=False
                )
            error = self._error(ServiceConnectTimeoutError, "connect timed out", exc)
            return _Attempt("connect_timeout", error=error, host_failed=True, **_ANY_METHOD)
        except requests.exceptions.ReadTimeout as exc:
            return self._read_timeout(exc)
        except requests.exceptions.ConnectionError as exc:
            if _is_connect_failure(exc):
                error = self._error(ServiceConnectionError, "could not connect", exc)
                return _Attempt("connect_error", error=error, host_failed=True, **_ANY_METHOD)
            error = self._error(IncompleteResponseError, "connection closed, no answer", exc)
            return _Attempt("connection_dropped", error=error, host_failed=True, transient=True)
        except EmptyPoolError as exc:
            # Every pooled connection stayed busy until the deadline: our own congestion, not
            # the host's failure (the breaker ignores it); nothing was sent.
            return self._fail("pool_timeout", DeadlineExceededError, "", exc, None, sent=False)
        except requests.exceptions.RequestException as exc:
            return self._fail("request_error", ServiceError, "request failed", exc, None)

        try:
            body = self._read_body(response)
        except Urllib3ReadTimeoutError as exc:
            response.close()
            return self._read_timeout(exc)
        except DecodeError as exc:
            response.close()
            return self._fail("decode_error", ServiceError, "undecodable body", exc, None)
        except (Urllib3HTTPError, OSError) as exc:
            response.close()
            error = self._error(IncompleteResponseError, "response body incomplete", exc)
            return _Attempt("incomplete_body", error=error, host_failed=True, transient=True)
        # What requests' Response.content does after reading; the body came through our loop.
        response._content = body
        response._content_consumed = True
        response.close()  # returns the connection to the pool

        status = response.status_code
        if status < 400:
            return _Attempt("ok", response=response, host_failed=False)
        retry_after = _retry_after(response) if status in UNAVAILABLE_STATUSES else None
        return _Attempt(
            "server_error" if status >= 500 else "client_error",
            response=response,
            host_failed=status >= 500,
            transient=status in RETRY_STATUSES,
            retry_after=retry_after,
        )

    def _read_body(self, response: requests.Response) -> bytes:
        """Read the body with ``read1`` (returns what has arrived), re-arming the socket timeout
        to ``min(read timeout, time left)`` before each read: a slow drip cannot beat the
        deadline, and a short body raises (urllib3 2 enforces Content-Length)."""
        raw = response.raw
        connection = getattr(raw, "connection", None)
        sock = getattr(connection, "sock", None)
        chunks = []
        while True:
            remaining = self.deadline_at - time.monotonic()
            if remaining <= 0:
                raise Urllib3ReadTimeoutError(None, None, "deadline reached during the body")
            if sock is not None:
                sock.settimeout(min(self.read_timeout, remaining))
            chunk = raw.read1(_READ_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def _deadline_hit(self) -> bool:
        return time.monotonic() >= self.deadline_at - _DEADLINE_SLACK

    def _read_timeout(self, exc: Exception) -> _Attempt:
        if self._deadline_hit():
            return self._fail("read_timeout", DeadlineExceededError, "", exc, True, sent=True)
        error = self._error(ServiceReadTimeoutError, "read timed out", exc)
        return _Attempt("read_timeout", error=error, host_failed=True, transient=True)

    def _fail(
        self,
        outcome: str,
        error_class: type[ServiceError],
        what: str,
        exc: Exception,
        host_failed: bool | None,
        *,
        sent: bool | None = None,
    ) -> _Attempt:
        """A failure no retry can help (deadline gone, TLS, a malformed request...)."""
        if error_class is DeadlineExceededError:
            what = f"deadline exceeded ({outcome.replace('_', ' ')})"
        error = self._error(error_class, what, exc)
        if sent is not None:
            error.request_sent = sent
        return _Attempt(outcome, error=error, host_failed=host_failed)

    def _error(self, error_class: type[ServiceError], what: str, exc: Exception) -> ServiceError:
        # urllib3's messages repeat the URL with its query string: redact the whole message.
        error = error_class(
            redact_text(f"{self.method} {self.url}: {what} (attempt {self.attempts}): {exc}"),
            method=self.method,
            url=self.url,
        )
        error.__cause__ = exc
        return error

    def _deadline_error(self, last_error: ServiceError | None) -> ServiceError:
        error = DeadlineExceededError(
            f"{self.method} {self.url}: deadline exceeded after {self.attempts} attempt(s)",
            method=self.method,
            url=self.url,
        )
        error.attempts = self.attempts
        error.request_sent = last_error.request_sent if last_error is not None else False
        error.__cause__ = last_error
        return error

    def http_error(self, response: requests.Response, attempts: int) -> ServiceError:
        status = response.status_code
        error = _http_error(
            f"{self.method} {self.url}: {status} {response.reason} (attempt {attempts})",
            response,
            self.method,
            self.url,
        )
        error.attempts = attempts
        return error

    def _log(
        self, attempt: int, outcome: str, status: int | None, duration: float, will_retry: bool
    ) -> None:
        level = logging.INFO if outcome == "ok" else logging.WARNING
        if not logger.isEnabledFor(level):
            return
        duration_ms = round(duration * 1000, 1)
        logger.log(
            level,
            "%s %s%s -> %s in %.1f ms (attempt %d%s)",
            self.method,
            self.client.origin,
            self.path,
            status if status is not None else outcome,
            duration_ms,
            attempt,
            ", will retry" if will_retry else "",
            extra={
                "method": self.method,
                "upstream": self.client.origin,
                "path": self.path,
                "status": status,
                "attempt": attempt,
                "duration_ms": duration_ms,
                "outcome": outcome,
                "will_retry": will_retry,
                "request_id": self.request_id,
            },
        )


_ANY_METHOD: dict[str, bool] = {"transient": True, "nothing_sent": True}
