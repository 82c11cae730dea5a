"""What revocation costs a cached request on a consumer: ``RemoteSessionAuthentication`` now vs
the plain cache lookup it replaced (one ``cache.get`` of the cached introspection answer).

Run from the repository root with the suite installed (``source scripts/venv.sh``)::

    python -m bench.identity_bench [--requests 2000] [--rounds 30] [--redis redis://127.0.0.1:6379/15]

Each cache backend runs in its own process with the ticket service's settings: local memory
(the embedded default) and, with ``--redis``, Redis (the production configuration; the database
given is flushed). In each, the two paths authenticate the same request with a cached token:

- before: the code this change replaced, quoted below (``_before``): hash the token, ``get`` the
  answer from the default cache, build the ``RemoteUser``;
- after: ``RemoteSessionAuthentication().authenticate()``: one ``get_many`` of the answer and its
  revocation marker from the identity cache, and on local memory the revocation feed read at most
  every ``IDENTITY_REVOCATION_POLL_INTERVAL`` seconds from a stub identity service on loopback
  (the bench runs long enough to include those reads).

Rounds alternate (before, after, after, before, …) so that drifts hit both; the figure is the
median CPU time of this process per request (``time.process_time``: the machine is shared).
Printed per backend: µs per request before and after, the ratio after/before, and on Redis the
commands sent per request (``INFO commandstats``): the round trips. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "k" * 32


def _stub_identity_service() -> str:
    """A loopback identity service that answers the revocation feed (nothing revoked)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            body = json.dumps(
                {"data": {"now": time.time(), "reset": False, "revoked": []}}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def _run_one(requests_per_round: int, rounds: int) -> dict[str, float | str]:
    """Measure both paths in this process (settings come from the environment)."""
    os.environ["IDENTITY_SERVICE_URL"] = _stub_identity_service()
    os.environ.setdefault("SERVICE_AUTH_TOKEN", "bench-service-token")
    os.environ.setdefault("DJANGO_ENV", "development")
    os.environ.setdefault("DEBUG", "False")
    os.environ["DJANGO_SETTINGS_MODULE"] = "services.ticket_service.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.cache import cache, caches
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from accounts import revocation
    from accounts.authentication import (
        CACHE_PREFIX,
        RemoteSessionAuthentication,
        RemoteUser,
        token_from_request,
    )

    answer = {
        "active": True,
        "user": {"id": "u-1", "email": "ann@example.com", "roles": ["customer"]},
        "expires_at": None,
    }
    for alias in ("default", revocation.identity_cache_alias()):
        caches[alias].clear()
    digest = revocation.token_hash(TOKEN)
    cache.set(CACHE_PREFIX + digest, answer, 3600)  # where the replaced code kept it
    revocation.remember(digest, answer, 3600, revocation.lookup(digest))
    request = Request(APIRequestFactory().get("/", HTTP_X_SESSION_TOKEN=TOKEN))

    def _before(request: Request) -> tuple[RemoteUser, str] | None:
        # The replaced RemoteSessionAuthentication.authenticate, cached path.
        token = token_from_request(request)
        if not token:
            return None
        cached = cache.get(RemoteSessionAuthentication.cache_key(token))
        user = cached.get("user") or {}
        return (
            RemoteUser(
                id=str(user.get("id", "")),
                email=str(user.get("email", "")),
                roles=frozenset(user.get("roles") or ()),
                expires_at=cached.get("expires_at"),
                data=dict(user),
            ),
            token,
        )

    after_auth = RemoteSessionAuthentication()
    paths = {"before": _before, "after": after_auth.authenticate}
    for fn in paths.values():  # warm up, and check both find the cached identity
        for _ in range(50):
            assert fn(request)[0].id == "u-1"

    # The suite's Redis cache (FailSafeRedisCache) has one client per process.
    redis_client = getattr(caches["default"], "client", None)

    def commands() -> int:
        stats = redis_client.info("commandstats")
        return sum(int(value["calls"]) for value in stats.values())

    per_request_commands = {}
    if redis_client is not None:
        for name, fn in paths.items():
            start = commands()
            for _ in range(100):
                fn(request)
            per_request_commands[name] = (commands() - start - 1) / 100  # INFO itself counts

    samples: dict[str, list[float]] = {"before": [], "after": []}
    order = ["before", "after"]
    for round_no in range(rounds):
        for name in order if round_no % 2 == 0 else reversed(order):
            fn = paths[name]
            started = time.process_time()
            for _ in range(requests_per_round):
                fn(request)
            samples[name].append((time.process_time() - started) / requests_per_round)
    before = statistics.median(samples["before"]) * 1e6
    after = statistics.median(samples["after"]) * 1e6
    result: dict[str, float | str] = {
        "backend": type(revocation.identity_cache()).__name__,
        "before_us": before,
        "after_us": after,
        "ratio": after / before,
    }
    if per_request_commands:
        result["before_commands"] = per_request_commands["before"]
        result["after_commands"] = per_request_commands["after"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--redis", help="also measure on this Redis database (it is flushed)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run_one(args.requests, args.rounds)))
        return
    sizes = ["--requests", str(args.requests), "--rounds", str(args.rounds)]
    backends = [("local memory", "")] + ([("Redis", args.redis)] if args.redis else [])
    print(
        f"{'identity cache':<14} {'before µs':>10} {'after µs':>10} {'after/before':>13}  commands"
    )
    for label, cache_url in backends:
        env = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "DATABASE_URL")}
        if cache_url:
            env["CACHE_URL"] = cache_url
        child = subprocess.run(
            [sys.executable, "-m", "bench.identity_bench", "--child", *sizes],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(f"{label}: failed\n{child.stderr}", file=sys.stderr)
            sys.exit(1)
        row = json.loads(child.stdout.strip().splitlines()[-1])
        rtt = (
            f"{row['before_commands']:.2f} -> {row['after_commands']:.2f} per request"
            if "after_commands" in row
            else "no network"
        )
        print(
            f"{label:<14} {row['before_us']:>10.2f} {row['after_us']:>10.2f} "
            f"{row['ratio']:>12.2f}x  {rtt}"
        )


if __name__ == "__main__":
    main()
