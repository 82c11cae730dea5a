"""Private PostgreSQL and Redis servers the fault tests may stop and restart.

The machine's shared servers (5432, 6379) are never touched: each fixture starts its own server
on a free loopback port in a temporary directory (PostgreSQL: ``initdb`` + ``pg_ctl`` from
``/usr/lib/postgresql/*/bin``, run as the ``postgres`` user when the tests run as root, since
``initdb`` refuses root). Missing binaries skip the tests with the reason, or fail them under
``CI=true`` (the suite's policy, ``tests.conftest.require_service``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI


def _missing(what: str) -> None:
    reason = f"{what}: the fault tests need it"
    if IN_CI:
        pytest.fail(f"{reason}, and CI must not skip them")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, *, up: bool, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            if up:
                return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise AssertionError(f"port {port} did not go {'up' if up else 'down'} within {timeout} s")


class PrivatePostgres:
    """One PostgreSQL cluster in a temporary directory; ``stop()``/``start()`` at will."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir, self.root, self.port = bindir, root, port
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.as_postgres = os.geteuid() == 0

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?connect_timeout=3"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise AssertionError(f"{args[0]} failed: {result.stdout}{result.stderr}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        wait_port(self.port, up=True)

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        wait_port(self.port, up=False)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        _missing("PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb) not found")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _missing("running as root without a 'postgres' user for initdb")
        if not shutil.which("runuser"):
            _missing("running as root without runuser")
    root = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    if os.geteuid() == 0:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PrivatePostgres(Path(found[-1]).parent, root, free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        if server.running():
            with contextlib.suppress(AssertionError):
                server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


class PrivateRedis:
    """One redis-server process, no persistence; ``stop()``/``start()`` at will."""

    def __init__(self, binary: str, port: int, root: Path) -> None:
        self.binary, self.port, self.root = binary, port, root
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_port(self.port, up=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None
        wait_port(self.port, up=False)


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if not binary:
        _missing("redis-server not found on PATH")
    root = Path(tempfile.mkdtemp(prefix="faults-redis-"))
    server = PrivateRedis(binary, free_port(), root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
