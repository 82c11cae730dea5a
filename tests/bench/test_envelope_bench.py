"""bench/envelope_bench.py still runs and prints every row (figures are not checked: see bench/)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_envelope_bench_prints_every_case_and_error_count():
    # Local-memory throttle counters: the bench clears its cache, which must not be ours (Redis).
    env = {key: value for key, value in os.environ.items() if key != "CACHE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "bench.envelope_bench", "--requests", "2", "--rounds", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for case in (
        "small view",
        "paginated list (20 of 200)",
        "small view, log formatted",
        "small view, LOG_LEVEL=WARNING",
        "project: small view",
        "project: paginated list",
    ):
        assert re.search(
            rf"^{re.escape(case)} +[\d.]+ +[\d.]+ +-?[\d.]+ +[\d.]+x ", result.stdout, re.M
        )
    for count in (1, 100, 10000):
        assert re.search(rf"^ +{count} +[\d.]+ +[\d.]+ +[\d.]+$", result.stdout, re.M)
