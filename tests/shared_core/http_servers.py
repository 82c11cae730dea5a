"""Real local HTTP servers for the HTTPClient tests (issue 4).

pytest-httpserver covers well-formed answers; ``ScriptedServer`` is a small threaded raw-socket
HTTP/1.1 server for what a framework server cannot do on purpose: truncated bodies, drip-fed
bodies, connections closed without an answer, answers slower than a timeout. It records every
request (method, path, headers, body, arrival time, connection number), counts the distinct
client connections it accepted and the most requests it held at once.

Import the fixtures from this module in a test module (``from tests.shared_core.http_servers
import scripted_server``) rather than through conftest.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.client import responses

import pytest


@dataclass
class Recorded:
    """One request as the server saw it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the request was fully received
    connection: int
    index: int


# An action writes (part of) an answer on the socket; it returns False to close the connection.
Action = Callable[[socket.socket], bool]
Responder = Callable[[Recorded], Action]


def reply(
    status: int = 200,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    *,
    delay: float = 0.0,
    content_type: str = "application/json",
) -> Action:
    """A complete answer (kept alive), optionally sent after ``delay`` seconds."""
    data = body.encode() if isinstance(body, str) else body

    def action(sock: socket.socket) -> bool:
        if delay:
            time.sleep(delay)
        head = [f"HTTP/1.1 {status} {responses.get(status, 'Status')}"]
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(data))}
        all_headers.update(headers or {})
        head += [f"{name}: {value}" for name, value in all_headers.items()]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        return True

    return action


def close_without_answer() -> Action:
    """Read the request, then close the connection without a byte of answer."""
    return lambda sock: False


def truncated(announced: int = 1000, sent: int = 10) -> Action:
    """Announce ``announced`` bytes, send ``sent``, close."""

    def action(sock: socket.socket) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {announced}"
        sock.sendall(head.encode() + b"\r\n\r\n" + b"x" * sent)
        return False

    return action


def drip(length: int = 100, interval: float = 0.2) -> Action:
    """Send the headers at once, then the body one byte every ``interval`` seconds."""

    def action(sock: socket.socket) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}"
        sock.sendall(head.encode() + b"\r\n\r\n")
        for _ in range(length):
            time.sleep(interval)
            sock.sendall(b"x")
        return False

    return action


def http_date(seconds_from_now: float) -> str:
    """An HTTP date (RFC 9110 IMF-fixdate) ``seconds_from_now`` ahead."""
    return formatdate(time.time() + seconds_from_now, usegmt=True)


@dataclass
class ScriptedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 whose answers come from ``responder``."""

    responder: Responder = field(default=lambda request: reply(200, b"{}"))
    requests: list[Recorded] = field(default_factory=list)
    connections: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight = 0
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                number = self.connections
                self._sockets.append(sock)
            threading.Thread(target=self._serve, args=(sock, number), daemon=True).start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        buffer = b""
        try:
            while not self._stopped.is_set():
                while b"\r\n\r\n" not in buffer:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        buffer = self._fill(sock, buffer, lambda b: b"\r\n" in b)
                        size_line, _, buffer = buffer.partition(b"\r\n")
                        size = int(size_line.split(b";")[0], 16)
                        buffer = self._fill(sock, buffer, lambda b, n=size: len(b) >= n + 2)
                        body, buffer = body + buffer[:size], buffer[size + 2 :]
                        if size == 0:
                            break
                else:
                    length = int(headers.get("content-length", "0"))
                    buffer = self._fill(sock, buffer, lambda b, n=length: len(b) >= n)
                    body, buffer = buffer[:length], buffer[length:]
                with self._lock:
                    request = Recorded(
                        method, path, headers, body, time.monotonic(), number, len(self.requests)
                    )
                    self.requests.append(request)
                    self._in_flight += 1
                    self.max_in_flight = max(self.max_in_flight, self._in_flight)
                try:
                    keep_alive = self.responder(request)(sock)
                finally:
                    with self._lock:
                        self._in_flight -= 1
                if not keep_alive:
                    return
        except OSError:
            return
        finally:
            sock.close()

    @staticmethod
    def _fill(sock: socket.socket, buffer: bytes, done: Callable[[bytes], bool]) -> bytes:
        while not done(buffer):
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("client closed the connection mid-request")
            buffer += chunk
        return buffer

    def stop(self) -> None:
        self._stopped.set()
        # shutdown() wakes the thread blocked in accept(); close() alone does not on Linux.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._thread.join(timeout=5)


@pytest.fixture
def scripted_server() -> Iterator[Callable[[Responder], ScriptedServer]]:
    """Start ``ScriptedServer(responder)`` servers; every one is stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(responder: Responder) -> ScriptedServer:
        server = ScriptedServer(responder)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def refused_url() -> str:
    """A loopback URL where nothing listens (connections are refused)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
