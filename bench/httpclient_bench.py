"""Benchmark: HTTPClient against a raw requests.Session and per-call requests.get (prints only).

Run from the repository root with the suite installed (``source scripts/venv.sh``)::

    python bench/httpclient_bench.py            # 3,000 GETs per client and scenario
    python bench/httpclient_bench.py --requests 600 --threads 4 --log

The server runs in its own process (stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive, with
TCP_NODELAY: without it, Nagle's algorithm and delayed ACKs make every keep-alive answer wait
~40 ms) and counts the TCP connections it accepts. Scenarios: a ~200 B and a ~10 KB JSON body,
sequential and with ``--threads`` threads (= the pool size of the Session and the HTTPClient).
The three clients run in alternating rounds within one process, so machine noise hits them alike.

Reported per client: requests/s, p50/p99 latency, new connections seen by the server and the
client process's CPU time per call (all threads; the server's is not included); then the ratios
HTTPClient / Session and HTTPClient / requests.get, by throughput and by CPU. Nothing is asserted.
On a busy machine wall-clock figures mostly measure the scheduler (a keep-alive ping-pong waits for
the server process to get a CPU); the CPU column is the steadier measure of client overhead.

By default logging is not configured, so HTTPClient's per-attempt INFO line is filtered before it
is formatted (as with LOG_LEVEL=WARNING); ``--log`` installs the suite's JSON logging at INFO,
writing to /dev/null, to include the cost of one formatted line per call.
"""

from __future__ import annotations

import argparse
import json
import logging.config
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SMALL = json.dumps({"id": 42, "name": "x" * 150, "active": True}).encode()
LARGE = json.dumps(
    {"items": [{"id": i, "name": f"item-{i:05d}", "v": "y" * 40} for i in range(130)]}
).encode()


def serve(port_value, connections, ready) -> None:  # runs in the server process
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # TCP_NODELAY on every accepted connection

        def setup(self) -> None:
            with connections.get_lock():
                connections.value += 1
            super().setup()

        def do_GET(self) -> None:
            body = LARGE if self.path.endswith("/large") else SMALL
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    port_value.value = server.server_address[1]
    ready.set()
    server.serve_forever()


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


class Runner:
    """Times ``count`` calls of ``call`` in ``threads`` threads: wall time, this process's CPU
    time (all threads), per-call latencies."""

    @staticmethod
    def run(
        call: Callable[[], object], count: int, threads: int
    ) -> tuple[float, float, list[float]]:
        latencies: list[float] = []
        lock = threading.Lock()
        per_thread = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]

        def work(n: int) -> None:
            mine = []
            for _ in range(n):
                started = time.perf_counter()
                call()
                mine.append(time.perf_counter() - started)
            with lock:
                latencies.extend(mine)

        started, cpu_started = time.perf_counter(), time.process_time()
        if threads == 1:
            work(count)
        else:
            pool = [threading.Thread(target=work, args=(n,)) for n in per_thread]
            for thread in pool:
                thread.start()
            for thread in pool:
                thread.join()
        return time.perf_counter() - started, time.process_time() - cpu_started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="GETs per client and scenario")
    parser.add_argument("--threads", type=int, default=8, help="threads = pool size")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds per scenario")
    parser.add_argument("--log", action="store_true", help="format HTTPClient's INFO lines")
    args = parser.parse_args()

    import requests
    from requests.adapters import HTTPAdapter

    from shared_core.http import HTTPClient
    from shared_core.logging_config import get_logging_config

    if args.log:
        config = get_logging_config("bench", "INFO", "json")
        config["handlers"]["console"]["stream"] = open(os.devnull, "w")  # noqa: SIM115
        logging.config.dictConfig(config)

    ctx = multiprocessing.get_context("spawn")
    port_value, connections, ready = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Event()
    server = ctx.Process(target=serve, args=(port_value, connections, ready), daemon=True)
    server.start()
    ready.wait(30)
    base = f"http://127.0.0.1:{port_value.value}/"
    timeout = (3.05, 10.0)

    print(
        f"{args.requests} GETs per client and scenario, {args.rounds} alternating rounds, "
        f"threads = pool size = {args.threads}, HTTPClient logging "
        f"{'on (JSON, INFO)' if args.log else 'off (filtered)'}; Python {sys.version.split()[0]}, "
        f"requests {requests.__version__}"
    )
    header = (
        f"{'scenario':<24}{'client':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'new conns':>11}"
        f"{'CPU us/call':>13}"
    )
    ratios = []
    for size in ("small", "large"):
        for threads in (1, args.threads):
            scenario = f"{size} ({len(SMALL if size == 'small' else LARGE)} B), {threads} thr"
            url_path = f"bench/{size}"
            session = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=args.threads)
            session.mount("http://", adapter)
            client = HTTPClient(base, pool_maxsize=args.threads, timeout=timeout)
            clients = {
                "requests.get": lambda p=url_path: requests.get(base + p, timeout=timeout),
                "Session": lambda s=session, p=url_path: s.get(base + p, timeout=timeout),
                "HTTPClient": lambda c=client, p=url_path: c.get(p),
            }
            totals = {name: [0.0, 0.0, [], 0] for name in clients}
            per_round = args.requests // args.rounds
            names = list(clients)
            for round_number in range(args.rounds):
                order = names[round_number % 3 :] + names[: round_number % 3]
                for name in order:
                    before = connections.value
                    wall, cpu, latencies = Runner.run(clients[name], per_round, threads)
                    totals[name][0] += wall
                    totals[name][1] += cpu
                    totals[name][2].extend(latencies)
                    totals[name][3] += connections.value - before
            print()
            print(header)
            rates, cpu_per_call = {}, {}
            for name in names:
                wall, cpu, latencies, new_connections = totals[name]
                latencies.sort()
                rates[name] = len(latencies) / wall
                cpu_per_call[name] = cpu / len(latencies) * 1e6
                print(
                    f"{scenario:<24}{name:<14}{rates[name]:>9.0f}"
                    f"{percentile(latencies, 0.5) * 1000:>9.2f}"
                    f"{percentile(latencies, 0.99) * 1000:>9.2f}{new_connections:>11}"
                    f"{cpu_per_call[name]:>13.0f}"
                )
            ratios.append(
                (
                    scenario,
                    rates["HTTPClient"] / rates["Session"],
                    rates["HTTPClient"] / rates["requests.get"],
                    cpu_per_call["Session"] / cpu_per_call["HTTPClient"],
                    cpu_per_call["requests.get"] / cpu_per_call["HTTPClient"],
                )
            )
            session.close()
            client.close()

    print("\nHTTPClient ratios (target: >= 0.90x Session, >= 1.5x requests.get); wall = req/s")
    print("ratio, CPU = client CPU per call of the other client / HTTPClient's (higher: cheaper)")
    for scenario, wall_session, wall_get, cpu_session, cpu_get in ratios:
        print(
            f"  {scenario:<24} vs Session: wall {wall_session:4.2f}x cpu {cpu_session:4.2f}x"
            f"   vs requests.get: wall {wall_get:4.2f}x cpu {cpu_get:4.2f}x"
        )
    server.terminate()
    server.join(5)


if __name__ == "__main__":
    main()
