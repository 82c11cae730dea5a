"""The three services under gunicorn on their production settings, one endpoint at a time.

Run from the repository root, as a module (``services`` and ``bench`` come from the checkout)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/suite_h4 CACHE_URL=redis://127.0.0.1:6379/4 \\
        python -m bench.stack_bench                          # db: none, max-age, pool
    python -m bench.stack_bench --db none --duration 10      # one connection mode, longer rows
    python -m bench.stack_bench --smoke                      # a second per row: it still works

The stack is ``services.runner.Stack`` (the container image's gunicorn config, one worker per
service, ``--threads`` threads) with ``DJANGO_ENV=production`` (plain HTTP: no SSL redirect),
fresh databases (``<DATABASE_URL name>_bench_<service>`` on PostgreSQL, SQLite files without
one), migrated and seeded. For each database connection mode (``--db``; the gunicorn processes
are restarted between modes) it runs a load generator on the same machine (wrk when installed,
else a threaded keep-alive client), ``--connections`` connections for ``--duration`` seconds per
row, after a one-second warm-up of each:

- ``bare``: ``GET /bench/bare`` on the ticket service's own worker: a bare DRF view (no auth,
  throttle, envelope or query; a bench-only URL from ``bench/load_stack_app``), the floor;
- ``floor``: ``bench/gunicorn_floor.py``, a WSGI app answering ``/health``'s bytes and nothing
  else, under the same gunicorn config in a process of its own: what gunicorn alone costs per
  request on this machine (``/health`` is read against it);
- ``health``: ``GET /health`` on the ticket service (the liveness probe);
- ``ready`` (only with ``--rows … ready``): ``GET /ready`` on the ticket service (database,
  migrations, two caches, the user service's ``/health``);
- ``list``: ``GET /api/v1/tickets`` as the demo agent (session token, cached introspection);
- ``create``: ``POST /api/v1/tickets`` assigned to the agent (the ticket service checks the
  assignee with the user service);
- ``upload``: ``POST /api/v1/files`` with 2 KB (the file service checks the ticket with the
  ticket service).

The rows take turns in ``--rounds`` windows (a change in the machine's load then falls on every
row alike). Each row prints req/s, p50 and p99 (ms; the median window's), the CPU time of the
three services' gunicorn processes per request (``/proc``; the load generator and the database
are not counted) with its split by service, ``ratio`` (req/s over the bare view's in the same
mode), ``CPU x`` (the bare view's CPU per request over the row's: the same ratio, less sensitive
to other processes on the machine) and the error count (non-2xx answers and socket errors; it
must be 0). Connection modes: ``none`` (``CONN_MAX_AGE=0``: a new connection per
request, the suite's production default before issue 17), ``max-age`` (``CONN_MAX_AGE=60``),
``pool`` (``DATABASE_URL=…?pool=true``), ``default`` (whatever the production presets choose).

Benchmark-only changes, said in the output: the ``/bench/bare`` route, allauth's per-IP login
limit off and the API throttles raised (all load comes from one address and one user).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from services.runner import (
    FILE,
    GUNICORN_CONFIG,
    REPO_ROOT,
    SERVICES,
    TICKET,
    USER,
    ServiceSpec,
    Stack,
    free_ports,
)
from services.user_service.roles import DEFAULT_DEMO_PASSWORD

#: The bench-only settings modules (``bench/load_stack_app``): the bare route, no login limit.
BENCH_SETTINGS = {
    USER.name: "bench.load_stack_app.user_settings",
    TICKET.name: "bench.load_stack_app.ticket_settings",
}
#: ``--db`` choices: the environment each one gives the services (``None``: unset).
DB_MODES: dict[str, dict[str, str | None]] = {
    "none": {"CONN_MAX_AGE": "0"},
    "max-age": {"CONN_MAX_AGE": "60"},
    "pool": {"CONN_MAX_AGE": None},  # plus ?pool=true in DATABASE_URL
    "default": {"CONN_MAX_AGE": None},
}
ROWS = ("bare", "floor", "health", "list", "create", "upload")
#: Rows run only when ``--rows`` names them.
EXTRA_ROWS = ("ready",)
UPLOAD_BYTES = 2048
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchStack(Stack):
    """The runner's stack with the bench-only settings modules (see the module docstring)."""

    def service_env(self, spec: ServiceSpec) -> dict[str, str]:
        env = super().service_env(spec)
        if spec.name in BENCH_SETTINGS:
            env["DJANGO_SETTINGS_MODULE"] = BENCH_SETTINGS[spec.name]
        return env

    @classmethod
    def on_free_ports(cls, work: Path, env: dict[str, str], threads: int) -> BenchStack:
        """The three services on free ports, data and logs under ``work``, output discarded."""
        ports = dict(zip((s.name for s in SERVICES), free_ports(3), strict=True))
        return cls(
            ports=ports,
            data_dir=work / "data",
            env=env,
            log_dir=work / "logs",
            output=open(os.devnull, "w"),
            threads=threads,
        )


def machine() -> str:
    """CPU, Python, kernel and load: the line every bench figure is read against."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average at start {load:.2f}"
    )


def post_json(url: str, payload: Mapping[str, Any], token: str | None = None) -> dict[str, Any]:
    """POST a JSON body (with a session token when given); the decoded answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Session-Token"] = token
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def login(stack: Stack, email: str, password: str) -> tuple[str, str]:
    """``(session token, user id)`` of a demo user."""
    answer = post_json(
        f"{stack.url(USER.name)}/api/v1/auth/login", {"email": email, "password": password}
    )
    return answer["data"]["token"], answer["data"]["user"]["id"]


# --- requests -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    """One HTTP request the load generator repeats."""

    label: str
    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def multipart(fields: Mapping[str, str], name: str, filename: str, content: bytes) -> tuple:
    """``(content type, body)`` of a multipart form with text fields and one file."""
    boundary = secrets.token_hex(12)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def calls(
    stack: Stack, token: str, user_id: str, ticket_id: str, floor_url: str = ""
) -> dict[str, Call]:
    """Every row's request (see the module docstring)."""
    ticket, files = stack.url(TICKET.name), stack.url(FILE.name)
    auth = {"X-Session-Token": token}
    content_type, upload = multipart(
        {"ticket_id": ticket_id}, "file", "note.txt", b"x" * UPLOAD_BYTES
    )
    create = json.dumps(
        {"title": "Printer on fire", "description": "bench", "assignee_id": user_id}
    ).encode()
    return {
        "bare": Call("bare DRF view (ticket worker)", f"{ticket}/bench/bare"),
        "floor": Call("gunicorn floor (/health's bytes)", f"{floor_url}/health"),
        "health": Call("GET /health (ticket)", f"{ticket}/health"),
        "ready": Call("GET /ready (ticket: 6 checks)", f"{ticket}/ready"),
        "list": Call("ticket list (authenticated)", f"{ticket}/api/v1/tickets", headers=auth),
        "create": Call(
            "ticket create (+user hop)",
            f"{ticket}/api/v1/tickets",
            "POST",
            {**auth, "Content-Type": "application/json"},
            create,
        ),
        "upload": Call(
            "file upload 2 KB (+ticket hop)",
            f"{files}/api/v1/files",
            "POST",
            {**auth, "Content-Type": content_type},
            upload,
        ),
    }


# --- load generators --------------------------------------------------------------------------
@dataclass
class Result:
    """What one load run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    error_detail: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _lua_string(data: bytes) -> str:
    """``data`` as a Lua string literal (byte-exact: escapes every non-printable byte)."""
    out = []
    for byte in data:
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in '"\\' else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d %.3f %.3f\\n", summary.requests,
    summary.duration, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def run_wrk(call: Call, seconds: float, connections: int, work: Path) -> Result:
    """Load ``call`` with wrk (``--latency``; a Lua script sets the method, headers and body)."""
    script = work / "wrk_call.lua"
    lines = [f"wrk.method = {_lua_string(call.method.encode())}"]
    lines += [
        f"wrk.headers[{_lua_string(k.encode())}] = {_lua_string(v.encode())}"
        for k, v in call.headers.items()
    ]
    if call.body:
        lines.append(f"wrk.body = {_lua_string(call.body)}")
    script.write_text("\n".join(lines) + "\n" + WRK_REPORT)
    threads = max(1, min(2, connections))
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), call.url,
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    match = re.search(r"^BENCH (.*)$", done.stdout, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    requests, micros, connect, read, write, status, timeout = map(int, match[1].split()[:7])
    p50, p99 = map(float, match[1].split()[7:])
    errors = connect + read + write + status + timeout
    detail = (
        f"connect {connect}, read {read}, write {write}, non-2xx/3xx {status}, timeout {timeout}"
        if errors
        else ""
    )
    return Result(requests, micros / 1e6, p50, p99, errors, detail)


def run_python(call: Call, seconds: float, connections: int, work: Path) -> Result:
    """Load ``call`` from ``connections`` threads, each on one keep-alive connection."""
    parts = urlsplit(call.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[list[str]] = [[] for _ in range(connections)]
    start = threading.Barrier(connections + 1)
    deadline = 0.0

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        start.wait()
        mine, bad = latencies[index], failures[index]
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                connection.request(call.method, path, body=call.body or None, headers=call.headers)
                response = connection.getresponse()
                response.read()
                if response.status >= 400:
                    bad.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as exc:
                bad.append(type(exc).__name__)
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            mine.append(time.perf_counter() - began)
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = sorted(x for each in latencies for x in each)
    bad = [x for each in failures for x in each]

    def percentile(q: float) -> float:
        return every[min(len(every) - 1, int(q * len(every)))] * 1000 if every else 0.0

    detail = ", ".join(f"{r} x{bad.count(r)}" for r in sorted(set(bad)))
    return Result(len(every), elapsed, percentile(0.50), percentile(0.99), len(bad), detail)


LOAD_GENERATORS: dict[str, Callable[[Call, float, int, Path], Result]] = {
    "wrk": run_wrk,
    "python": run_python,
}


# --- CPU of the gunicorn processes ------------------------------------------------------------
def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (the gunicorn master and its workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *(int(child) for child in children)]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (``/proc/<pid>/stat``)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


# --- the run ----------------------------------------------------------------------------------
def database_base_url(url: str) -> str:
    """``postgres://h/suite`` -> ``postgres://h/suite_bench`` (the services add ``_<slug>``)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "suite"
    return urlunsplit(parts._replace(path=f"/{name}_bench", query=""))


def recreate_databases(base_url: str) -> None:
    """Drop and create every service's bench database: each run starts from empty tables."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(base_url)
    names = [f"{parts.path.lstrip('/')}_{spec.slug}" for spec in SERVICES]
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def mode_env(mode: str, base_url: str | None) -> dict[str, str | None]:
    """The environment of one connection mode (``None`` removes a variable)."""
    env = dict(DB_MODES[mode])
    if base_url:
        env["DATABASE_URL"] = base_url + ("?pool=true" if mode == "pool" else "")
    return env


@contextmanager
def bench_stack(args: argparse.Namespace, work: Path) -> Iterator[tuple[Stack, str | None]]:
    """The stack on production settings, migrated and seeded, not started."""
    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CONN_MAX_AGE")}
    env.update(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "False",
            "API_THROTTLE_ANON_RATE": "100000000/min",
            "API_THROTTLE_USER_RATE": "100000000/min",
            "DEMO_PASSWORD": password,
        }
    )
    source = os.environ.get("DATABASE_URL", "")
    base_url = None
    if urlsplit(source).scheme in ("postgres", "postgresql", "pgsql"):
        base_url = database_base_url(source)
        recreate_databases(base_url)
        env["DATABASE_URL"] = base_url
    stack = BenchStack.on_free_ports(work, env, args.threads)
    stack.claim()
    try:
        stack.prepare()
        yield stack, base_url
    finally:
        stack.stop()
        stack.release()


@contextmanager
def gunicorn_floor(threads: int, work: Path) -> Iterator[tuple[str, int]]:
    """``bench.gunicorn_floor`` under the services' gunicorn config: ``(base URL, pid)``."""
    port = free_ports(1)[0]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "WSGI_APP": "bench.gunicorn_floor:application",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": str(threads),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        }
    )
    log = open(work / "gunicorn_floor.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the gunicorn floor did not start: see {work / 'gunicorn_floor.log'}"
                    ) from None
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def measure_mode(
    stack: Stack,
    mode: str,
    base_url: str | None,
    args: argparse.Namespace,
    work: Path,
    floor: tuple[str, int] | None = None,
) -> dict[str, tuple[Call, Result, dict[str, float]]]:
    """Restart the services in ``mode`` and load each row.

    ``{row: (call, result, {service: CPU seconds per request})}``.
    """
    stack.stop()
    for name, value in mode_env(mode, base_url).items():
        if value is None:
            stack.base_env.pop(name, None)
        else:
            stack.base_env[name] = value
    stack.start()
    password = stack.base_env["DEMO_PASSWORD"]
    token, user_id = login(stack, "agent@example.com", password)
    ticket = post_json(
        f"{stack.url(TICKET.name)}/api/v1/tickets",
        {"title": "Upload target", "description": "bench"},
        token,
    )["data"]["id"]
    requests = calls(stack, token, user_id, ticket, floor[0] if floor else "")
    generate = LOAD_GENERATORS[args.load]
    trees = {name: process_tree(pid) for name, pid in stack.running().items()}
    if floor:
        trees["floor"] = process_tree(floor[1])
    for row in args.rows:  # warm-up: connections, caches, the first-request imports
        generate(requests[row], 1.0, args.connections, work)
    # Rows take turns in short windows, so that a change in the machine's load (other
    # processes) falls on every row alike instead of on whichever row runs at that moment.
    window = max(1.0, args.duration / args.rounds)
    runs: dict[str, list[Result]] = {row: [] for row in args.rows}
    cpu: dict[str, dict[str, float]] = {row: dict.fromkeys(trees, 0.0) for row in args.rows}
    for _ in range(args.rounds):
        for row in args.rows:
            before = {name: cpu_seconds(tree) for name, tree in trees.items()}
            runs[row].append(generate(requests[row], window, args.connections, work))
            for name, tree in trees.items():
                cpu[row][name] += cpu_seconds(tree) - before[name]
    results = {}
    for row in args.rows:
        total = combine(runs[row])
        per_request = {name: used / max(1, total.requests) for name, used in cpu[row].items()}
        results[row] = (requests[row], total, per_request)
    return results


def combine(runs: list[Result]) -> Result:
    """One row's windows as one result: totals, and the median window's p50 and p99."""
    middle = len(runs) // 2
    return Result(
        requests=sum(r.requests for r in runs),
        seconds=sum(r.seconds for r in runs),
        p50_ms=sorted(r.p50_ms for r in runs)[middle],
        p99_ms=sorted(r.p99_ms for r in runs)[middle],
        errors=sum(r.errors for r in runs),
        error_detail="; ".join(r.error_detail for r in runs if r.error_detail),
    )


def print_mode(mode: str, results: Mapping[str, tuple[Call, Result, dict[str, float]]]) -> int:
    """Print one mode's rows; return its error count."""
    print(f"\ndb={mode} ({describe(mode)})")
    print(
        f"  {'row':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>10} "
        f"{'ratio':>6} {'CPU x':>6} {'errors':>6}   CPU ms/req by service (user/ticket/file)"
    )
    bare = results.get("bare")
    bare_rps = bare[1].rps if bare else 0.0
    bare_cpu = sum(bare[2].values()) if bare else 0.0
    errors = 0
    for call, result, cpu in results.values():
        ratio = result.rps / bare_rps if bare_rps else float("nan")
        used = sum(cpu.values())
        cpu_ratio = bare_cpu / used if used else float("nan")
        errors += result.errors
        split = "/".join(f"{cpu.get(spec.name, 0.0) * 1000:.2f}" for spec in SERVICES)
        print(
            f"  {call.label:<32} {result.rps:>8.1f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
            f"{used * 1000:>10.3f} {ratio:>6.3f} {cpu_ratio:>6.3f} {result.errors:>6}   {split}"
        )
        if result.error_detail:
            print(f"    errors: {result.error_detail}")
    if "floor" in results and "health" in results:
        floor_cpu, health_cpu = (sum(results[row][2].values()) for row in ("floor", "health"))
        if floor_cpu:
            print(f"  /health CPU per request: {health_cpu / floor_cpu:.2f}x the gunicorn floor's")
    return errors


def describe(mode: str) -> str:
    return {
        "none": "CONN_MAX_AGE=0: a connection per request",
        "max-age": "CONN_MAX_AGE=60",
        "pool": "DATABASE_URL ?pool=true",
        "default": "the production presets' default",
    }[mode]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=6, help="seconds per row (default 6)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="windows per row, rows taking turns (default 3)"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per service")
    parser.add_argument(
        "--db", nargs="+", choices=list(DB_MODES), default=None, help="connection modes"
    )
    parser.add_argument("--rows", nargs="+", choices=ROWS + EXTRA_ROWS, default=list(ROWS))
    parser.add_argument(
        "--load",
        choices=list(LOAD_GENERATORS),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="1 s rows, 4 connections, one mode: does it run"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.duration, args.rounds, args.connections = 1.0, 1, 4
        args.db = args.db or ["default"]
    if args.db is None:
        postgres = urlsplit(os.environ.get("DATABASE_URL", "")).scheme.startswith("postgres")
        args.db = ["none", "max-age", "pool"] if postgres else ["none", "max-age"]
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the bench; exit status 1 when any request failed."""
    args = parse_args(argv)
    if "pool" in args.db and not urlsplit(os.environ.get("DATABASE_URL", "")).scheme.startswith(
        "postgres"
    ):
        print("--db pool needs DATABASE_URL=postgres://… (Django's pool is psycopg's)")
        return 2
    work = Path(tempfile.mkdtemp(prefix="stack_bench_"))
    database = "PostgreSQL" if "postgres" in os.environ.get("DATABASE_URL", "") else "SQLite"
    cache = "Redis" if os.environ.get("CACHE_URL", "").startswith("redis") else "local memory"
    print(f"Machine: {machine()}")
    print(
        f"Stack: 3 services x gunicorn 1 worker x {args.threads} threads, DJANGO_ENV=production, "
        f"{database}, {cache} cache; load: {args.load}, {args.connections} connections, "
        f"{args.duration:g} s per row; logs in {work / 'logs'}"
    )
    print(
        "Bench-only: /bench/bare on the ticket service, allauth's login limit off, API "
        "throttle rates raised. CPU = the three services' gunicorn processes per request."
    )
    errors = 0
    with contextlib.ExitStack() as running:
        stack, base_url = running.enter_context(bench_stack(args, work))
        floor = None
        if "floor" in args.rows:
            floor = running.enter_context(gunicorn_floor(args.threads, work))
        for mode in args.db:
            errors += print_mode(mode, measure_mode(stack, mode, base_url, args, work, floor))
            sys.stdout.flush()
    print(f"\nerrors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
