"""``HTTPClient``: one downstream service's calls, with a deadline, safe retries, a circuit
breaker, request-ID forwarding, one log line per attempt and typed errors.

The client prepares each request (URL under its base, bearer token, ``X-Request-ID``,
``Idempotency-Key``), then runs the attempt loop: :mod:`~shared_core.http.transport` sends once and
reads the body inside the deadline, :mod:`~shared_core.http.policy` says whether to try again and
when, and reports every attempt to the host's circuit breaker. Failures are the
:mod:`~shared_core.http.errors` classes.

Thread safety
-------------
One client may be shared by any number of threads (and should be: one per downstream service, see
:func:`~shared_core.http.client_for`). Its ``requests.Session`` is configured at construction and
never mutated afterwards; cookies are never stored; per-call state lives on the stack; urllib3's
pool is thread safe. A thread that finds every pooled connection busy waits for one, at most until
its deadline, then fails with :class:`DeadlineExceededError` (nothing was sent).
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import DecodeError, EmptyPoolError
from urllib3.exceptions import HTTPError as Urllib3HTTPError
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeoutError

from shared_core.http.errors import (
    CircuitOpenError,
    DeadlineExceededError,
    IncompleteResponseError,
    InvalidJSONError,
    ServiceConnectionError,
    ServiceConnectTimeoutError,
    ServiceError,
    ServiceHTTPError,
    ServiceReadTimeoutError,
    ServiceUnavailableError,
)
from shared_core.http.policy import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENT_METHODS,
    RETRY_STATUSES,
    UNAVAILABLE_STATUSES,
    CircuitBreaker,
    RetryPolicy,
    get_circuit_breaker,
    parse_retry_after,
)
from shared_core.http.transport import (
    DeadlineTimeout,
    build_session,
    is_connect_failure,
    read_body,
    send_options,
)
from shared_core.redaction import redact_text
from shared_core.request_id import REQUEST_ID_HEADER, get_request_id

__all__ = ["HTTPClient"]

logger = logging.getLogger(__name__)

BODY_SNIPPET_CHARS = 500
# A timeout that ends this close to the deadline is the deadline's doing, not the server's.
_DEADLINE_SLACK = 0.02


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
    :class:`~shared_core.http.policy.CircuitBreaker`. ``service_name`` (this service's name)
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
        if backoff_factor is None:
            backoff_factor = _setting("HTTP_CLIENT_BACKOFF_FACTOR")
        self.retry_policy = RetryPolicy(
            retries=int(_setting("HTTP_CLIENT_RETRIES") if retries is None else retries),
            backoff_factor=float(backoff_factor),
            backoff_max=float(
                _setting("HTTP_CLIENT_BACKOFF_MAX") if backoff_max is None else backoff_max
            ),
        )
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
        self._session = build_session(
            pool_maxsize=self.pool_maxsize,
            user_agent=f"{name} (shared_core.HTTPClient; python-requests/{requests.__version__})",
            headers=headers,
        )
        # What requests' Session would redo at every call, done once: the session's headers
        # (merged under each call's own), the adapter mounted for base_url, the environment's
        # proxies and CA bundle.
        template = requests.PreparedRequest()
        template.prepare_headers(self._session.headers)  # validated here, once
        self._headers = template.headers
        self._adapter = self._session.get_adapter(self.base_url)
        self._send_kwargs = send_options(self._session, self.base_url)

    @property
    def retries(self) -> int:
        """Attempts after the first (see :class:`~shared_core.http.policy.RetryPolicy`)."""
        return self.retry_policy.retries

    @property
    def backoff_factor(self) -> float:
        """Seconds before the first retry (before jitter); doubles on each retry."""
        return self.retry_policy.backoff_factor

    @property
    def backoff_max(self) -> float:
        """The longest backoff between two attempts, in seconds."""
        return self.retry_policy.backoff_max

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

        prepared = self._prepare(method, url, params, data, files, json, call_headers, token)
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

    def _prepare(
        self,
        method: str,
        url: str,
        params: Any,
        data: Any,
        files: Any,
        json: Any,
        call_headers: Mapping[str, str | None],
        token: str,
    ) -> requests.PreparedRequest:
        """The request as ``Session.prepare_request`` would build it for this client's session,
        without its per-call work that never applies here: no cookie jar (none is ever sent),
        no ``~/.netrc`` lookup (the bearer token is the only credential), no session-level
        params, auth or hooks to merge. Each step is ``PreparedRequest``'s public ``prepare_*``
        method, in ``prepare()``'s order."""
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        prepared.prepare_url(url, params)
        # requests' merge: the call's headers over the session's, None removes one; only the
        # call's own are validated (the session's were, once, in __init__).
        prepared.prepare_headers(
            {name: value for name, value in call_headers.items() if value is not None}
        )
        headers = self._headers.copy()
        for name, value in call_headers.items():
            if value is None:
                headers.pop(name, None)
        headers.update(prepared.headers)
        prepared.headers = headers
        prepared.prepare_body(data, files, json)
        if token:
            prepared.headers["Authorization"] = f"Bearer {token}"
        return prepared

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 = the first retry)."""
        return self.retry_policy.backoff(retry_number)

    def _json(self, response: requests.Response) -> Any:
        """Status first (2xx expected), then a JSON media type, then the parse."""
        status = response.status_code
        if status == 204:
            return None
        if not 200 <= status < 300:
            method, url = _method_and_url(response)
            raise _http_error(
                f"{method} {url}: expected a 2xx JSON answer, got {status}", response, method, url
            )
        content_type = response.headers.get("Content-Type", "")
        media_type = content_type.partition(";")[0].strip().lower()
        if not (media_type == "application/json" or media_type.endswith("+json")):
            method, url = _method_and_url(response)
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
            method, url = _method_and_url(response)
            raise InvalidJSONError(
                f"{method} {url}: the body is not valid JSON ({exc})",
                status=status,
                body_snippet=_snippet(response),
                method=method,
                url=url,
            ) from exc


def _payload(payload: Any, kwargs: dict[str, Any]) -> Any:
    """``post_json(path, payload)`` and ``post_json(path, json=payload)`` both work."""
    if "json" in kwargs:
        if payload is not None:
            raise TypeError("pass the JSON payload once: positionally or as json=")
        return kwargs.pop("json")
    return payload


def _method_and_url(response: requests.Response) -> tuple[str, str]:
    """The method and the redacted URL of the request that ``response`` answers."""
    return response.request.method or "", _safe_url(response.request.url or "")


def _safe_url(url: str) -> str:
    """The URL with secret-looking query values redacted (for messages and exceptions)."""
    return redact_text(url)


def _snippet(response: requests.Response) -> str:
    body = response.content[: BODY_SNIPPET_CHARS * 4]
    text = body.decode(response.encoding or "utf-8", errors="replace")[:BODY_SNIPPET_CHARS]
    return redact_text(text)


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
        return ServiceUnavailableError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **common
        )
    return ServiceHTTPError(message, **common)


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
            if self.deadline_at <= time.monotonic():
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
                result = self._attempt()
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

            delay = client.retry_policy.next_delay(
                self.attempts,
                max_attempts,
                retryable=result.transient and (result.nothing_sent or self.idempotent),
                retry_after=result.retry_after,
                time_left=self.deadline_at - time.monotonic(),
            )
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

    def _attempt(self) -> _Attempt:
        """Send once and read the whole body, every wait bounded by the deadline."""
        # urllib3 cuts the pool wait, connect and read (headers) to the time left for the call.
        timeout = DeadlineTimeout(self.connect_timeout, self.read_timeout, self.deadline_at)
        started = time.perf_counter()
        try:
            # Straight to the mounted adapter: what Session.send adds (redirects, which we never
            # follow; hooks, which no client has; the session cookie jar, which keeps nothing)
            # does not apply to a service call.
            response = self.client._adapter.send(self.prepared, timeout=timeout, **self.send_kwargs)
            response.elapsed = timedelta(seconds=time.perf_counter() - started)  # as Session.send
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
            if is_connect_failure(exc):
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
            body = read_body(response, read_timeout=self.read_timeout, deadline_at=self.deadline_at)
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
        retry_after = (
            parse_retry_after(response.headers.get("Retry-After"))
            if status in UNAVAILABLE_STATUSES
            else None
        )
        return _Attempt(
            "server_error" if status >= 500 else "client_error",
            response=response,
            host_failed=status >= 500,
            transient=status in RETRY_STATUSES,
            retry_after=retry_after,
        )

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
