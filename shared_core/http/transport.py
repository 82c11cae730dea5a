"""How bytes move: a requests session on a bounded urllib3 pool, with every wait inside a deadline.

requests splits the same way: ``sessions.py`` prepares requests, ``adapters.py`` owns the urllib3
pool. Here :func:`build_session` mounts :class:`PooledAdapter`, whose urllib3 pools block (at most
``pool_maxsize`` connections per host, so no "Connection pool is full" warning) and make exactly
one attempt per send: retrying is :mod:`shared_core.http.policy`'s job.

Only urllib3's public API is used: a :class:`DeadlineTimeout` (a ``urllib3.util.Timeout`` whose
connect and read limits are cut to the time left before the call's deadline whenever urllib3 reads
them), pool classes installed through ``PoolManager.pool_classes_by_scheme`` whose ``urlopen``
passes ``pool_timeout`` (requests never does; without it a blocking pool waits for a free
connection forever), and ``HTTPResponse.read1`` for the body. So the wait for a pooled connection,
the connect, the headers and every read of the body all end by the deadline; a caller that finds
every connection busy until then gets ``urllib3.exceptions.EmptyPoolError`` (nothing was sent).

The proxy and CA-bundle environment variables (``HTTP(S)_PROXY``, ``NO_PROXY``,
``REQUESTS_CA_BUNDLE``) are read once, by :func:`send_options`, for the client's one host.
"""

from __future__ import annotations

import http.cookiejar
import time
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeoutError
from urllib3.util import Retry, Timeout

__all__ = [
    "DeadlineTimeout",
    "PooledAdapter",
    "build_session",
    "is_connect_failure",
    "read_body",
    "send_options",
]

_READ_CHUNK = 64 * 1024
# A socket timeout of 0 would make the socket non-blocking: the smallest wait we ever ask for.
_MIN_WAIT = 0.001


class DeadlineTimeout(Timeout):
    """A ``urllib3.util.Timeout`` bounded by an absolute deadline (``time.monotonic()``).

    ``connect_timeout`` and ``read_timeout`` are ``min(limit, time left)`` at the moment urllib3
    reads them, so time spent waiting for a pooled connection or connecting is taken off what is
    left for the answer. ``time_left()`` is what the pool may wait for a free connection.
    """

    def __init__(self, connect: float, read: float, deadline_at: float) -> None:
        super().__init__(connect=connect, read=read)
        self.connect_limit = connect
        self.read_limit = read
        self.deadline_at = deadline_at

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(connect={self.connect_limit}, read={self.read_limit}, "
            f"time_left={self.time_left():.3f})"
        )

    def time_left(self) -> float:
        """Seconds until the deadline (at least a millisecond, so sockets keep blocking)."""
        return max(self.deadline_at - time.monotonic(), _MIN_WAIT)

    def clone(self) -> DeadlineTimeout:
        """A copy with the same deadline (urllib3 clones the timeout it is given per request)."""
        return DeadlineTimeout(self.connect_limit, self.read_limit, self.deadline_at)

    @property
    def connect_timeout(self) -> float:  # type: ignore[override]
        """The connect limit, cut to the time left."""
        return min(self.connect_limit, self.time_left())

    @property
    def read_timeout(self) -> float:  # type: ignore[override]
        """The read (headers) limit, cut to the time left; 0 once the deadline has passed
        (urllib3 then raises its read timeout without reading)."""
        left = self.deadline_at - time.monotonic()
        return 0 if left <= 0 else min(self.read_limit, max(left, _MIN_WAIT))


class _DeadlinePoolMixin:
    """``urlopen`` waits for a free pooled connection at most until the deadline."""

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        if kwargs.get("pool_timeout") is None and isinstance(timeout, DeadlineTimeout):
            kwargs["pool_timeout"] = timeout.time_left()
        return super().urlopen(method, url, *args, **kwargs)  # type: ignore[misc]


class DeadlineHTTPConnectionPool(_DeadlinePoolMixin, HTTPConnectionPool):
    """urllib3's HTTP pool whose wait for a free connection ends at the deadline."""


class DeadlineHTTPSConnectionPool(_DeadlinePoolMixin, HTTPSConnectionPool):
    """urllib3's HTTPS pool whose wait for a free connection ends at the deadline."""


class PooledAdapter(HTTPAdapter):
    """requests' adapter on the deadline-bounded pools (``init_poolmanager`` is requests'
    documented hook for configuring the pool manager)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Build the pool manager, then install the deadline-bounded pool classes."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": DeadlineHTTPConnectionPool,
            "https": DeadlineHTTPSConnectionPool,
        }


def build_session(
    *, pool_maxsize: int, user_agent: str, headers: Mapping[str, str] | None = None
) -> requests.Session:
    """A session for one downstream host: a blocking pool of ``pool_maxsize`` connections, one
    attempt per send, JSON accepted, and no cookie ever stored (calls made for different users
    share the session, so one user's ``Set-Cookie`` must not ride along on another's)."""
    session = requests.Session()
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    session.headers.update(headers or {})
    adapter = PooledAdapter(
        pool_connections=1,
        pool_maxsize=pool_maxsize,
        pool_block=True,
        max_retries=Retry(0, read=False),
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def send_options(session: requests.Session, base_url: str) -> dict[str, Any]:
    """Proxies and CA bundle for ``base_url``'s host, read from the environment once (requests
    would scan ``os.environ`` twice per call)."""
    return session.merge_environment_settings(base_url, {}, True, None, None)


def read_body(response: requests.Response, *, read_timeout: float, deadline_at: float) -> bytes:
    """Read the whole body with ``read1`` (returns what has arrived), re-arming the socket
    timeout to ``min(read timeout, time left)`` before each read: a body drip-fed a byte at a time
    cannot outlive the deadline, and a short body raises (urllib3 2 enforces Content-Length)."""
    raw = response.raw
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    chunks = []
    while True:
        remaining = deadline_at - time.monotonic()
        if remaining <= 0:
            raise Urllib3ReadTimeoutError(None, None, "deadline reached during the body")
        if sock is not None:
            sock.settimeout(min(read_timeout, remaining))
        chunk = raw.read1(_READ_CHUNK, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def is_connect_failure(exc: requests.ConnectionError) -> bool:
    """Did the connection fail to open (nothing sent), rather than break after sending?"""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)
