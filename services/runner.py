"""Run the three demo services as local processes: ``python -m services.runner``.

``./scripts/run`` calls it.

The same stack ``docker compose up`` starts, as plain processes on loopback: each service is
migrated first, the user service is seeded with a demo admin, agent and customer, then the three
run under gunicorn. Ctrl-C (or SIGTERM) stops all three.

By default each service uses its own SQLite file and a local-memory cache. Environment variables
switch to PostgreSQL and Redis:

- ``DATABASE_URL=postgres://…/suite`` — each service gets its own database named
  ``<name>_user``, ``<name>_ticket``, ``<name>_file`` (created when missing);
  ``USER_SERVICE_DATABASE_URL`` (``TICKET_…``, ``FILE_…``) sets one service's database exactly;
- ``CACHE_URL=redis://…`` — shared by the three (their keys are prefixed by service name).

``--topology FILE`` (or ``STACK_TOPOLOGY=FILE``) runs another topology file than
``services/topology.toml``, e.g. a copy with a service made by ``manage.py startservice``; its
packages must be importable (``PYTHONPATH``).

The :class:`Stack` class is the same runner as an API; the end-to-end tests use it to start the
stack on free ports and to stop and restart one service.

Only one stack runs per data directory and set of ports: a second runner finds the first one's
lock (``<data dir>/runner.lock``) or a port in use, says so and exits before it migrates or
starts anything.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

from services.user_service.roles import DEFAULT_DEMO_PASSWORD, DEMO_USERS

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The gunicorn configuration of the container image (it reads WSGI_APP, HOST, PORT, …).
GUNICORN_CONFIG = REPO_ROOT / "deploy" / "gunicorn.conf.py"


#: The one description of the stack: services, ports, who calls whom (see its header).
TOPOLOGY_FILE = Path(__file__).resolve().parent / "topology.toml"
#: The variable naming another topology file for ``python -m services.runner``.
TOPOLOGY_ENV = "STACK_TOPOLOGY"


@dataclass(frozen=True)
class ServiceSpec:
    """One demo service as ``services/topology.toml`` describes it.

    ``calls`` are the services it calls (it sends them its ``SERVICE_AUTH_TOKEN``; they accept
    it in ``ACCEPTED_SERVICE_TOKENS``); ``ready`` the ones its ``/ready`` checks; ``url_env``
    the variable the other services read its base URL from (empty: nobody looks it up).
    """

    name: str
    package: str
    default_port: int
    slug: str
    url_env: str = ""
    calls: tuple[str, ...] = ()
    ready: tuple[str, ...] = ()

    @property
    def settings_module(self) -> str:
        return f"{self.package}.settings"

    @property
    def wsgi_app(self) -> str:
        return f"{self.package}.wsgi:application"

    @property
    def manage_module(self) -> str:
        return f"{self.package}.manage"

    @property
    def env_prefix(self) -> str:
        """Prefix of this service's own variables, e.g. ``TICKET_SERVICE``."""
        return self.name.upper().replace("-", "_")


class TopologyError(ValueError):
    """``services/topology.toml`` is not a valid description of the stack (the message says why)."""


def load_topology(path: Path | str = TOPOLOGY_FILE) -> tuple[ServiceSpec, ...]:
    """Read the stack's topology file into :class:`ServiceSpec` objects, in start order.

    Refuses a duplicate name, port or slug, a missing key, and a call to (or a ``/ready``
    check of) a service not listed before the caller, so the start order always works.
    """
    path = Path(path)
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    specs: list[ServiceSpec] = []
    for index, entry in enumerate(data.get("service", []), start=1):
        missing = {"name", "package", "port", "slug"} - set(entry)
        if missing:
            raise TopologyError(f"{path}: service #{index} lacks {', '.join(sorted(missing))}")
        unknown = set(entry) - {"name", "package", "port", "slug", "url_env", "calls", "ready"}
        if unknown:
            raise TopologyError(f"{path}: {entry['name']}: unknown keys {sorted(unknown)}")
        calls = tuple(entry.get("calls", ()))
        spec = ServiceSpec(
            name=entry["name"],
            package=entry["package"],
            default_port=int(entry["port"]),
            slug=entry["slug"],
            url_env=entry.get("url_env", ""),
            calls=calls,
            ready=tuple(entry.get("ready", calls)),
        )
        before = {each.name for each in specs}
        for field in ("name", "default_port", "slug", "url_env"):
            value = getattr(spec, field)
            if value and value in {getattr(each, field) for each in specs}:
                raise TopologyError(f"{path}: {spec.name}: {field} {value!r} is used twice")
        for target in (*spec.calls, *spec.ready):
            if target not in before:
                raise TopologyError(
                    f"{path}: {spec.name} calls or checks {target!r}, which is not a service "
                    "listed before it"
                )
        specs.append(spec)
    if not specs:
        raise TopologyError(f"{path}: no [[service]] table")
    return tuple(specs)


#: In start order: each service only calls the ones before it.
SERVICES = load_topology()
SERVICES_BY_NAME = {spec.name: spec for spec in SERVICES}
#: The demo services the runner itself talks to (seeding, the banner, the file store).
USER = SERVICES_BY_NAME["user-service"]
TICKET = SERVICES_BY_NAME["ticket-service"]
FILE = SERVICES_BY_NAME["file-service"]


def callers_of(spec: ServiceSpec, services: tuple[ServiceSpec, ...] = SERVICES) -> list[str]:
    """Names of the services that call ``spec`` (whose tokens it accepts), in start order."""
    return [each.name for each in services if spec.name in each.calls]


def parse_service_tokens(value: str) -> dict[str, str]:
    """``"a=t1,b=t2"`` (the ``ACCEPTED_SERVICE_TOKENS`` format) -> ``{"a": "t1", "b": "t2"}``."""
    pairs = (item.strip().split("=", 1) for item in value.split(",") if item.strip())
    return {name.strip(): token.strip() for name, token in pairs}


#: Seconds the services have to answer on /health after they are spawned.
START_TIMEOUT = 90.0
#: The file in the data directory a running stack holds locked (it names the runner's PID).
LOCK_FILE = "runner.lock"


class StackError(RuntimeError):
    """A step of starting the stack failed (the message says which and why)."""


def free_ports(count: int) -> list[int]:
    """``count`` loopback ports nobody listens on right now (bound to port 0, then released).

    Another process may take one before the stack binds it; tests and benches that start the
    stack on such ports accept that small race.
    """
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def per_service_database_url(base_url: str, slug: str) -> str:
    """``postgres://h/suite`` -> ``postgres://h/suite_<slug>``: one database per service."""
    parts = urlsplit(base_url)
    name = parts.path.lstrip("/") or "suite"
    return urlunsplit(parts._replace(path=f"/{name}_{slug}"))


def ensure_postgres_database(url: str) -> None:
    """Create the database of a PostgreSQL URL when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "pgsql", "psql")


class Stack:
    """The three services as child processes, wired to each other.

    ``env`` is the environment the services inherit (default: ``os.environ``); ``data_dir``
    holds the SQLite files, uploaded files and, with ``log_dir``, one log file per service;
    ``services`` is the topology (default: ``services/topology.toml``, see :func:`load_topology`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        ports: Mapping[str, int] | None = None,
        data_dir: Path | str | None = None,
        env: Mapping[str, str] | None = None,
        log_dir: Path | str | None = None,
        output: IO[str] | None = None,
        threads: int = 4,
        services: tuple[ServiceSpec, ...] | None = None,
    ) -> None:
        self.services = SERVICES if services is None else tuple(services)
        self.services_by_name = {spec.name: spec for spec in self.services}
        self.host = host
        self.ports = {spec.name: spec.default_port for spec in self.services} | dict(ports or {})
        self.data_dir = Path(data_dir or REPO_ROOT / "var").resolve()
        self.base_env = dict(os.environ if env is None else env)
        self.log_dir = Path(log_dir).resolve() if log_dir else None
        self.output = output if output is not None else sys.stdout
        self.threads = threads
        self._lock: IO[str] | None = None
        self._processes: dict[str, subprocess.Popen[str]] = {}
        self._pumps: dict[str, threading.Thread] = {}
        self._output_lock = threading.Lock()
        # One token per calling service, made for this run unless the environment sets them.
        self.tokens = {
            spec.name: self.base_env.get(f"{spec.env_prefix}_TOKEN") or secrets.token_urlsafe(32)
            for spec in self.services
            if spec.calls
        }

    # --- configuration ---------------------------------------------------------------------
    @property
    def mail_dir(self) -> Path:
        """The demo outbox: one file per message sent (``EMAIL_FILE_PATH`` overrides it)."""
        explicit = self.base_env.get("EMAIL_FILE_PATH")
        return Path(explicit).resolve() if explicit else self.data_dir / "mail"

    def url(self, name: str) -> str:
        """Base URL of a service: ``http://<host>:<its port>``."""
        return f"http://{self.host}:{self.ports[name]}"

    def static_root(self, spec: ServiceSpec) -> Path:
        """Where ``collectstatic`` puts the service's static files (the admin's CSS and JS),
        which WhiteNoise serves at ``/static/``, as in the container image."""
        return self.data_dir / "static" / spec.slug

    def database_url(self, spec: ServiceSpec) -> str:
        """The service's own database: explicit, derived from ``DATABASE_URL``, or SQLite."""
        explicit = self.base_env.get(f"{spec.env_prefix}_DATABASE_URL")
        if explicit:
            return explicit
        shared = self.base_env.get("DATABASE_URL", "")
        if shared and _is_postgres(shared):
            return per_service_database_url(shared, spec.slug)
        return f"sqlite:///{self.data_dir / f'{spec.slug}.sqlite3'}"

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        """The environment one service process runs with."""
        env = dict(self.base_env)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": spec.settings_module,
                # Read by deploy/gunicorn.conf.py, as in the container image.
                "WSGI_APP": spec.wsgi_app,
                "HOST": self.host,
                "PORT": str(self.ports[spec.name]),
                "DATABASE_URL": self.database_url(spec),
                "STATIC_ROOT": str(self.static_root(spec)),
                "PYTHONUNBUFFERED": "1",
                # Mail goes to a file outbox under the data folder, never into the log:
                # `python -m services.user_service.manage outbox` reads it (see banner()).
                "EMAIL_URL": self.base_env.get("EMAIL_URL") or "filemail://",
                "EMAIL_FILE_PATH": str(self.mail_dir),
            }
        )
        # Development settings (the development SECRET_KEY and plain http are accepted) unless
        # the environment says DJANGO_ENV=production. DEBUG stays off unless asked for: the stack
        # answers like the deployed services (problem+json, not Django's debug pages).
        env.setdefault("DJANGO_ENV", "development")
        env.setdefault("DEBUG", "False")
        # The wiring, all of it from the topology: where each service is, the token this one
        # sends, the callers it accepts, the services its /ready checks.
        for each in self.services:
            if each.url_env:
                env[each.url_env] = self.url(each.name)
        if spec.calls:
            env["SERVICE_AUTH_TOKEN"] = self.tokens[spec.name]
        else:
            env.pop("SERVICE_AUTH_TOKEN", None)
        env["ACCEPTED_SERVICE_TOKENS"] = ",".join(
            f"{name}={token}" for name, token in self.accepted_tokens(spec).items()
        )
        env["HEALTHCHECK_DEPENDENCIES"] = json.dumps(
            {name: f"{self.url(name)}/health" for name in spec.ready}
        )
        if spec.name == FILE.name:
            env["MEDIA_ROOT"] = env.get("FILE_SERVICE_MEDIA_ROOT") or str(self.data_dir / "files")
        return env

    def accepted_tokens(self, spec: ServiceSpec) -> dict[str, str]:
        """The callers ``spec`` trusts: the environment's entries plus the topology's.

        ``ACCEPTED_SERVICE_TOKENS`` (every service) and ``<PREFIX>_ACCEPTED_SERVICE_TOKENS``
        (``USER_SERVICE_…``: that service only) from the environment are kept, so a service
        started outside the runner can call the stack; the callers the topology names get the
        token the runner gives them (that is what they send).
        """
        accepted = parse_service_tokens(self.base_env.get("ACCEPTED_SERVICE_TOKENS", ""))
        accepted |= parse_service_tokens(
            self.base_env.get(f"{spec.env_prefix}_ACCEPTED_SERVICE_TOKENS", "")
        )
        accepted |= {name: self.tokens[name] for name in callers_of(spec, self.services)}
        return accepted

    # --- steps -----------------------------------------------------------------------------
    def _manage(self, spec: ServiceSpec, *args: str, timeout: float = 300) -> str:
        command = [sys.executable, "-m", spec.manage_module, *args]
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            command,
            cwd=REPO_ROOT,
            env=self.service_env(spec),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(
                f"{spec.name}: `manage.py {' '.join(args)}` failed "
                f"(exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    # --- one stack per data directory and set of ports ---------------------------------------
    def claim(self) -> None:
        """Make sure no other stack runs here, before anything is touched.

        Takes an exclusive lock on ``<data dir>/runner.lock`` (held until :meth:`release`), then
        checks that every port is free. Raises :class:`StackError` saying which stack or port is
        in the way; nothing is migrated, collected or started then.
        """
        if self._lock is not None:
            return
        created = not self.data_dir.exists()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lock = (self.data_dir / LOCK_FILE).open("a+", encoding="utf-8")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            pid = lock.read().strip() or "unknown"
            lock.close()
            raise StackError(
                f"The demo stack is already running (runner PID {pid}) with its data in "
                f"{self.data_dir}. Stop it first (Ctrl-C where it runs), or start this one with "
                "another --data-dir and other ports. Nothing was changed."
            ) from None
        try:
            self._check_ports_free()
        except StackError:
            lock.close()
            if created:  # leave no trace of this attempt
                (self.data_dir / LOCK_FILE).unlink()
                self.data_dir.rmdir()
            raise
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock = lock

    def _check_ports_free(self) -> None:
        for spec in self.services:
            port = self.ports[spec.name]
            with socket.socket() as sock:
                # As gunicorn binds: a port left in TIME_WAIT by a stopped stack counts as free.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind((self.host, port))
                except OSError:
                    raise StackError(
                        f"Port {port} ({spec.name}) on {self.host} is already in use: is the "
                        f"demo stack already running? Stop it, or choose another port "
                        f"(--{spec.slug}-port). Nothing was changed."
                    ) from None

    def release(self) -> None:
        """Give up the data directory's lock (after :meth:`stop`)."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None

    def prepare(self, *, seed: bool = True) -> None:
        """Create missing PostgreSQL databases, migrate every service and collect its static
        files, seed the demo users."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        for spec in self.services:
            url = self.database_url(spec)
            if _is_postgres(url):
                ensure_postgres_database(url)
        # The three migrate in parallel: separate databases, and it halves the start time.
        errors: list[BaseException] = []

        def migrate(spec: ServiceSpec) -> None:
            try:
                self._manage(spec, "migrate", "--noinput")
                self._manage(spec, "collectstatic", "--noinput")
            except BaseException as exc:  # reported below, in the main thread
                errors.append(exc)

        workers = [threading.Thread(target=migrate, args=(spec,)) for spec in self.services]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]
        if seed:
            self._manage(self.services_by_name[USER.name], "seed_demo")

    def start(self, name: str | None = None, *, wait: bool = True, timeout: float = 60) -> None:
        """Start one service (or all, in order) and wait until its ``/health`` answers 200."""
        specs = [self.services_by_name[name]] if name else list(self.services)
        for spec in specs:
            if spec.name in self._processes and self._processes[spec.name].poll() is None:
                continue
            self._spawn(spec)
        if wait:
            for spec in specs:
                self.wait_healthy(spec.name, timeout=timeout)

    def server_command(self) -> list[str]:
        """The command each service runs: the container image's own (gunicorn + its config)."""
        return [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG)]

    def _spawn(self, spec: ServiceSpec) -> None:
        env = self.service_env(spec)
        # deploy/gunicorn.conf.py reads these: one worker per service is plenty on a laptop.
        env.update(
            {
                "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": str(self.threads),
            }
        )
        command = self.server_command()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            # Own process group: a Ctrl-C reaches the runner only, which then stops each
            # service in order instead of all of them racing.
            start_new_session=True,
        )
        self._processes[spec.name] = process
        pump = threading.Thread(target=self._pump, args=(spec, process), daemon=True)
        pump.start()
        self._pumps[spec.name] = pump

    def _pump(self, spec: ServiceSpec, process: subprocess.Popen[str]) -> None:
        """Copy a service's output to our output (prefixed) and to its log file."""
        log = None
        if self.log_dir:
            log = (self.log_dir / f"{spec.slug}.log").open("a", encoding="utf-8")
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if log:
                    log.write(line)
                    log.flush()
                with self._output_lock:
                    self.output.write(f"{spec.name:<15}| {line}")
                    self.output.flush()
        finally:
            if log:
                log.close()

    def wait_healthy(self, name: str, *, timeout: float = 60) -> None:
        """Poll ``/health`` until 200; fail when the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        process = self._processes[name]
        while True:
            if process.poll() is not None:
                raise StackError(f"{name} exited with code {process.returncode} while starting")
            try:
                with urllib.request.urlopen(f"{self.url(name)}/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise StackError(f"{name} did not answer 200 on /health within {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self, name: str | None = None, *, timeout: float = 40) -> None:
        """Stop one service (or all, in reverse order): SIGTERM, then SIGKILL after ``timeout``."""
        names = [name] if name else [spec.name for spec in reversed(self.services)]
        for each in names:
            process = self._processes.pop(each, None)
            if process is None:
                continue
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            pump = self._pumps.pop(each, None)
            if pump:
                pump.join(timeout=5)

    def running(self) -> dict[str, int]:
        """Names and PIDs of the services that are running."""
        return {name: p.pid for name, p in self._processes.items() if p.poll() is None}

    def exited(self) -> dict[str, int]:
        """Names and exit codes of the services that stopped on their own."""
        return {name: code for name, p in self._processes.items() if (code := p.poll()) is not None}

    def banner(self) -> str:
        """Where each service listens and how to log in."""
        password = self.base_env.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        user_url = self.url(USER.name)
        lines = ["", "The demo stack is up:"]
        lines += [f"  {spec.name:<15} {self.url(spec.name)}" for spec in self.services]
        lines += ["", f"Demo logins (password {password!r}):"]
        lines += [f"  {role:<9} {email}" for role, email in DEMO_USERS]
        lines += [
            "",
            "Log in, then send the session token to any service:",
            f"  curl -s -X POST {user_url}/api/v1/auth/login \\",
            "       -H 'Content-Type: application/json' \\",
            f'       -d \'{{"email": "customer@example.com", "password": "{password}"}}\'',
            f"  curl -s {self.url(TICKET.name)}/api/v1/tickets -H 'X-Session-Token: <token>'",
            "",
            "Mail (password resets…) is not logged; it lands in the outbox. Read it with:",
            f"  EMAIL_FILE_PATH={self.mail_dir} \\",
            "  python -m services.user_service.manage outbox --last 1",
            "",
            "API schemas at /api/schema/, health at /health and /ready. Ctrl-C stops all three.",
            "",
        ]
        return "\n".join(lines)

    @contextmanager
    def running_stack(self, *, seed: bool = True) -> Iterator[Stack]:
        """Claim the data directory and ports, prepare and start the stack; stop every service
        on the way out."""
        self.claim()
        try:
            self.prepare(seed=seed)
            self.start()
            yield self
        finally:
            self.stop()
            self.release()


def _topology_path(argv: list[str] | None) -> Path:
    """The topology file ``--topology`` (or ``STACK_TOPOLOGY``) names, else the repository's."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--topology", default=os.environ.get(TOPOLOGY_ENV) or TOPOLOGY_FILE)
    known, _ = pre.parse_known_args(argv)
    return Path(known.topology)


def _parse_args(
    argv: list[str] | None, services: tuple[ServiceSpec, ...] = SERVICES
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m services.runner",
        description="Run the services of the topology (user, ticket, file) as local processes.",
    )
    env = os.environ
    parser.add_argument("--host", default=env.get("STACK_HOST", "127.0.0.1"))
    parser.add_argument(
        "--topology",
        default=env.get(TOPOLOGY_ENV) or str(TOPOLOGY_FILE),
        help=f"the topology file (default services/topology.toml; env {TOPOLOGY_ENV})",
    )
    for spec in services:
        parser.add_argument(
            f"--{spec.slug}-port",
            type=int,
            default=int(env.get(f"{spec.env_prefix}_PORT", spec.default_port)),
            help=f"port of the {spec.name} (default {spec.default_port})",
        )
    parser.add_argument(
        "--data-dir", default=env.get("STACK_DATA_DIR"), help="SQLite files and uploads (var/)"
    )
    parser.add_argument("--log-dir", default=env.get("STACK_LOG_DIR"), help="one log per service")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo users")
    return parser.parse_args(argv)


def stack_from_args(argv: list[str] | None = None) -> Stack:
    """The :class:`Stack` the command line describes: its topology file, ports and folders.

    Raises :class:`TopologyError` (or ``OSError``) when the topology file cannot be used.
    """
    path = _topology_path(argv)
    try:
        services = load_topology(path)
    except tomllib.TOMLDecodeError as exc:
        raise TopologyError(f"{path}: {exc}") from exc
    args = _parse_args(argv, services)
    return Stack(
        host=args.host,
        ports={spec.name: getattr(args, f"{spec.slug}_port") for spec in services},
        data_dir=args.data_dir,
        log_dir=args.log_dir,
        services=services,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the stack until Ctrl-C/SIGTERM or until a service dies; return the exit status."""
    try:
        stack = stack_from_args(argv)
    except (OSError, TopologyError) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    services = stack.services
    args = _parse_args(argv, services)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    status = 0
    try:
        stack.claim()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        print(f"Migrating the {len(services)} databases…", flush=True)
        stack.prepare(seed=not args.no_seed)
        if stopping.is_set():
            return 130
        stack.start(wait=False)
        started = time.monotonic()
        for spec in services:
            # Short waits, so that a Ctrl-C during the start is honoured at once.
            while not stopping.is_set():
                try:
                    stack.wait_healthy(spec.name, timeout=1)
                    break
                except StackError:
                    if stack.exited() or time.monotonic() - started > START_TIMEOUT:
                        raise
        if not stopping.is_set():
            print(stack.banner(), flush=True)
        while not stopping.wait(0.5):
            dead = stack.exited()
            if dead:
                print(f"A service stopped on its own ({dead}); stopping the others.", flush=True)
                status = 1
                break
    except StackError as exc:
        if not stopping.is_set():  # a Ctrl-C during migrate also lands here: not an error
            print(f"error: {exc}", file=sys.stderr, flush=True)
            status = 1
    finally:
        print("Stopping the services…", flush=True)
        stack.stop()
        stack.release()
        print("Stopped.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
