"""What a cache operation and a throttle check cost on Redis: Django's ``RedisCache`` vs the
suite's ``FailSafeRedisCache`` (one ``redis.Redis`` client per process), and the throttle with one
round trip per request vs leases.

Run from the repository root with the suite installed (``source scripts/venv.sh``)::

    python -m bench.cache_bench [--redis redis://127.0.0.1:6379/15] [--ops 2000] [--rounds 30]

The Redis database given is flushed. Pairs of rows run in alternating rounds in one process (so
drifts hit both); each figure is the median CPU time of this process per operation
(``time.process_time``: the machine is shared), and the ratio is that of the two medians:

- ``get`` (a hit) and ``get_many`` of two keys (the introspection answer and its revocation
  marker, ``accounts.revocation``): Django's ``RedisCache`` vs ``FailSafeRedisCache``;
- a throttle check (``AnonOrUserRateThrottle.allow_request``, one client under its rate):
  ``API_THROTTLE_LEASE_SIZE = 1`` (one round trip per request, as before leases) vs the default
  leases, both on ``FailSafeRedisCache``, with the Redis commands sent per check;
- the same check on local memory (exact counting, no network), for reference.

Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any


def _setup(redis_url: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        CACHES={
            "default": {"BACKEND": "shared_core.cache.FailSafeRedisCache", "LOCATION": redis_url},
            "django": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
            },
        },
        INSTALLED_APPS=[],
        REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"anon": "1000000/day", "user": "1000000/day"}},
    )
    django.setup()


def _median_pair(
    before: Callable[[], None], after: Callable[[], None], ops: int, rounds: int
) -> tuple[float, float]:
    """Median CPU µs per call of ``before`` and ``after`` over alternating rounds."""
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(rounds + 2):
        order = ((0, before), (1, after)) if r % 2 == 0 else ((1, after), (0, before))
        for index, fn in order:
            start = time.process_time()
            for _ in range(ops):
                fn()
            if r >= 2:  # the first two rounds warm up
                times[index].append((time.process_time() - start) / ops * 1e6)
    return statistics.median(times[0]), statistics.median(times[1])


def _round_trips(client: Any) -> int:
    """Script calls so far (the throttle's one command per round trip)."""
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--ops", type=int, default=2000, help="operations per round")
    parser.add_argument("--rounds", type=int, default=30, help="pairs of rounds")
    args = parser.parse_args()
    _setup(args.redis)

    from django.core.cache import caches
    from django.test.utils import override_settings

    from apipatterns.throttling import AnonOrUserRateThrottle

    suite, django_cache = caches["default"], caches["django"]
    suite.clear()
    suite.set("answer", {"id": 7, "email": "a@example.com", "roles": ["agent"]}, 600)
    suite.set("marker", 1_700_000_000, 600)

    rows: list[tuple[str, str, str, float, float, str]] = []
    b, a = _median_pair(
        lambda: django_cache.get("answer"), lambda: suite.get("answer"), args.ops, args.rounds
    )
    rows.append(("get (hit)", "RedisCache", "FailSafeRedisCache", b, a, ""))
    keys = ["answer", "marker"]
    b, a = _median_pair(
        lambda: django_cache.get_many(keys), lambda: suite.get_many(keys), args.ops, args.rounds
    )
    rows.append(("get_many (answer+marker)", "RedisCache", "FailSafeRedisCache", b, a, ""))

    request = SimpleNamespace(
        user=SimpleNamespace(is_authenticated=False), META={"REMOTE_ADDR": "10.1.2.3"}
    )

    def check() -> None:
        if not AnonOrUserRateThrottle().allow_request(request, None):
            raise SystemExit("throttled: raise the bench rate")

    from apipatterns.conf import apipatterns_settings

    def per_request() -> None:
        apipatterns_settings.API_THROTTLE_LEASE_SIZE = 1  # a plain attribute once read
        check()

    def leased() -> None:
        apipatterns_settings.API_THROTTLE_LEASE_SIZE = 20
        check()

    client = suite.client
    b, a = _median_pair(per_request, leased, args.ops, args.rounds)
    # Round trips per check, each side alone (INFO cannot split them).
    counts = []
    for fn in (per_request, leased):
        start = _round_trips(client)
        for _ in range(args.ops):
            fn()
        counts.append((_round_trips(client) - start) / args.ops)
    rows.append(
        (
            "throttle check (Redis)",
            "1 round trip/request",
            "leases (20)",
            b,
            a,
            f"{counts[0]:.2f} -> {counts[1]:.2f} round trips/check",
        )
    )

    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    ):
        b, a = _median_pair(check, check, args.ops, args.rounds)
    rows.append(("throttle check (local memory)", "exact", "exact", b, a, "no network"))

    print(
        f"CPU µs per operation, median of {args.rounds} alternating rounds x {args.ops} "
        f"operations, Redis at {args.redis}"
    )
    header = f"{'operation':<30} {'before':<22} {'after':<20} {'before µs':>9} {'after µs':>9}"
    print(f"{header} {'after/before':>12}")
    for name, before, after, b, a, note in rows:
        print(f"{name:<30} {before:<22} {after:<20} {b:>9.1f} {a:>9.1f} {a / b:>11.2f}x  {note}")


if __name__ == "__main__":
    main()
