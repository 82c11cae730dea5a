"""bench/envelope_bench.py still runs and prints every row (figures are not checked: see bench/)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = (
    "small view",
    "paginated list (20 of 200)",
    "small view, JSON log line",
    "small view, LOG_LEVEL=WARNING",
    "project: small view",
    "project: paginated list",
)
REDIS_CASES = ("Redis: small view", "Redis: paginated list")
SMALL_RUN = ("--requests", "2", "--rounds", "2", "--warmup", "5")


def run_bench(*args: str) -> str:
    # The project's cache is never the bench's: local memory, and Redis only through --redis.
    env = {key: value for key, value in os.environ.items() if key != "CACHE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.envelope_bench", *SMALL_RUN, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_envelope_bench_prints_every_case_beside_bare_drf_and_the_peer_stack(redis_url):
    # The peer stack comes with the "bench" extra, which scripts/venv.sh installs.
    stdout = run_bench("--redis", redis_url)

    assert "peer stack: skipped" not in stdout
    for case in CASES + REDIS_CASES:
        assert re.search(
            rf"^{re.escape(case)} +[\d.]+ +[\d.]+ +[\d.]+ +-?[\d.]+ +[\d.]+x +[\d.]+x ",
            stdout,
            re.M,
        ), stdout
    for count in (1, 100, 10000):
        assert re.search(rf"^ +{count} +[\d.]+ +[\d.]+ +[\d.]+$", stdout, re.M)


def test_without_redis_the_redis_rows_are_skipped_with_the_reason():
    stdout = run_bench("--redis", "")

    assert "Redis rows: skipped (no --redis URL)" in stdout
    assert not any(line.startswith("Redis:") for line in stdout.splitlines())
    assert re.search(r"^small view +[\d.]+ ", stdout, re.M)
