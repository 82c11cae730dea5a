"""Real servers for tests: local HTTP stubs (healthy, failing, hanging) and whole processes.

Used by tests/healthchecks and tests/deploy; every server binds a free loopback port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StubServer:
    """A threaded HTTP server on loopback answering every GET with ``status``, or hanging.

    ``hang=True`` accepts the connection and never answers until :meth:`release` (or
    ``max_hang`` seconds): a downstream that is up at the TCP level but stuck.
    """

    def __init__(
        self,
        *,
        status: int = 200,
        body: bytes = b'{"status": "ok"}',
        hang: bool = False,
        max_hang: float = 30.0,
    ) -> None:
        self.status, self.body, self.hang, self.max_hang = status, body, hang, max_hang
        self.released = threading.Event()
        self.requests: list[dict[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append({"path": self.path, **dict(self.headers.items())})
                if stub.hang:
                    stub.released.wait(stub.max_hang)
                    return
                self.send_response(stub.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(stub.body)))
                self.end_headers()
                self.wfile.write(stub.body)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


def wait_for_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers at all (any status), failing with the process's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited with {process.returncode} before answering:\n{log.read_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s:\n{log.read_text()}")


@contextlib.contextmanager
def running_process(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log: Path,
    probe_url: str,
    cwd: Path = ROOT,
) -> Iterator[subprocess.Popen]:
    """Run ``command`` in its own session until it answers ``probe_url``; stop it afterwards."""
    with log.open("w") as out:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_http(probe_url, process, log)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def process_env(**overrides: str) -> dict[str, str]:
    """This test process's environment with the venv first on PATH, plus ``overrides``."""
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(overrides)
    return env
