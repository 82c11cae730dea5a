"""Load the demo stack (user, ticket, file services under gunicorn) and print the figures.

Run by hand from the repository root, as a module (``services`` and ``bench`` are imported from
the checkout, not installed; it asserts nothing)::

    pip install -e ".[dev,bench]"          # locust is in the "bench" extra
    python -m bench.load_stack                         # 20 s per level, 4 and 16 users
    python -m bench.load_stack --duration 60 --users 8 32 64 --threads 8
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/suite_load CACHE_URL=redis://127.0.0.1:6379/9 \
        python -m bench.load_stack                     # on PostgreSQL + Redis

The stack is started with ``services.runner.Stack`` on free loopback ports, exactly as
``./scripts/run`` starts it (the container image's gunicorn config, one worker per service,
``--threads`` threads), migrated and seeded. Then, for each concurrency level, locust (headless,
in its own process) runs for ``--duration`` seconds twice:

1. ``bare``: ``GET /bench/bare`` — a bare DRF view (no auth, throttle, envelope or query) served
   by the ticket service's own gunicorn worker: the ceiling of this machine and server;
2. ``mixed``: every user logs in once, then lists tickets (10), creates tickets assigned to the
   demo agent (4: the ticket service checks the assignee with the user service over HTTPClient),
   uploads 2 KB files (2: the file service checks the ticket with the ticket service) and logs in
   again (1).

It prints throughput, p50/p95/p99 and the error rate per request type, and each mixed figure as
a ratio of the bare view's throughput at the same concurrency. The error rate must be 0: any
error is printed with its reason.

Benchmark-only changes, both in ``bench/load_stack_app/`` and said in the output: the ticket
service gets the ``/bench/bare`` route, the user service has allauth's per-IP login rate limit
off (all load comes from one IP), and the API throttles are raised (``API_THROTTLE_*_RATE``).
Passwords use the services' real hasher (PBKDF2), so a login costs what it costs in production.

No locust: it says how to install it and exits 2. The load generator shares the machine's CPUs
with the services, so on a small machine the figures are a floor; the ratio to the bare view
(measured the same way) is the number to compare across machines.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.stack_bench import BenchStack, login, machine
from services.runner import FILE, TICKET, USER, Stack
from services.user_service.roles import DEFAULT_DEMO_PASSWORD

LOCUSTFILE = Path(__file__).resolve().parent / "load_stack_app" / "locustfile.py"


def agent_id(stack: Stack, password: str) -> str:
    return login(stack, "agent@example.com", password)[1]


def run_locust(users: int, seconds: int, mode: str, env: dict[str, str], out: Path) -> Path:
    prefix = out / f"{mode}_{users}"
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "10",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(
        command,
        env=env | {"LOAD_MODE": mode},
        check=False,
        capture_output=True,
        timeout=seconds + 120,
    )
    return Path(f"{prefix}_stats.csv")


def read_stats(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open() as handle:
        for row in csv.DictReader(handle):
            count = int(row["Request Count"])
            rows.append(
                {
                    "name": row["Name"],
                    "count": count,
                    "failures": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "p50": row["50%"],
                    "p95": row["95%"],
                    "p99": row["99%"],
                }
            )
    return rows


def print_failures(path: Path) -> None:
    failures = path.with_name(path.name.replace("_stats.csv", "_failures.csv"))
    if failures.exists():
        with failures.open() as handle:
            for row in csv.DictReader(handle):
                print(
                    f"    ERROR {row['Method']} {row['Name']}: {row['Error']} x{row['Occurrences']}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per run (default 20)")
    parser.add_argument("--users", type=int, nargs="+", default=[4, 16], help="concurrency levels")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per service")
    args = parser.parse_args(argv)

    if importlib.util.find_spec("locust") is None:
        print(
            "locust is not installed: pip install -e '.[bench]' (or pip install locust), "
            "then run this again. Nothing was measured.",
            file=sys.stderr,
        )
        return 2

    password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
    work = Path(tempfile.mkdtemp(prefix="load_stack_"))
    env = dict(os.environ)
    env.update(
        {
            "API_THROTTLE_ANON_RATE": "1000000/min",
            "API_THROTTLE_USER_RATE": "1000000/min",
            "DEMO_PASSWORD": password,
            "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
        }
    )
    stack = BenchStack.on_free_ports(work, env, args.threads)
    database = "PostgreSQL" if "postgres" in env.get("DATABASE_URL", "") else "SQLite"
    cache = "Redis" if env.get("CACHE_URL", "").startswith("redis") else "local memory"
    print(f"Machine: {machine()}")
    print(
        f"Stack: 3 services x gunicorn 1 worker x {args.threads} threads, {database}, {cache} "
        f"cache; locust {args.duration} s per run; logs in {work / 'logs'}"
    )
    with stack.running_stack():
        load_env = env | {
            "LOAD_USER_URL": stack.url(USER.name),
            "LOAD_TICKET_URL": stack.url(TICKET.name),
            "LOAD_FILE_URL": stack.url(FILE.name),
            "LOAD_PASSWORD": password,
            "LOAD_AGENT_ID": agent_id(stack, password),
        }
        header = (
            f"{'users':>5} {'run':<32} {'req/s':>8} {'ratio':>6} {'p50':>6} {'p95':>6} "
            f"{'p99':>6} {'errors':>9}"
        )
        print()
        print(header + "   (latencies in ms; ratio = req/s / bare view req/s at that concurrency)")
        for users in args.users:
            bare_path = run_locust(users, args.duration, "bare", load_env, work)
            mixed_path = run_locust(users, args.duration, "mixed", load_env, work)
            ceiling = 0.0
            for mode, path in (("bare", bare_path), ("mixed", mixed_path)):
                if not path.exists():
                    print(f"{users:>5} {mode}: locust wrote no statistics (see {work})")
                    continue
                for row in read_stats(path):
                    if mode == "bare" and row["name"] == "Aggregated":
                        continue
                    if mode == "bare":
                        ceiling = row["rps"]
                    label = "mixed: all requests" if row["name"] == "Aggregated" else row["name"]
                    ratio = row["rps"] / ceiling if ceiling else float("nan")
                    rate = row["failures"] / row["count"] if row["count"] else 0.0
                    print(
                        f"{users:>5} {label:<32} {row['rps']:>8.1f} {ratio:>6.2f} {row['p50']:>6} "
                        f"{row['p95']:>6} {row['p99']:>6} {rate:>8.2%}"
                    )
                print_failures(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
