"""bench/cache_bench.py still runs and prints its rows (figures are not checked: see bench/)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_cache_bench_prints_get_and_throttle_rows(redis_url):
    args = ["--ops", "20", "--rounds", "2", "--redis", redis_url]
    result = subprocess.run(
        [sys.executable, "-m", "bench.cache_bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[:3] == ["operation", "before", "after"]
    names = [line[:30].strip() for line in lines[2:]]
    assert names == [
        "get (hit)",
        "get_many (answer+marker)",
        "throttle check (Redis)",
        "throttle check (local memory)",
    ]
    before, arrow, after, _, unit = lines[4].split()[-5:]
    assert (arrow, unit) == ("->", "trips/check")
    assert float(before) >= 1.0 and float(after) <= 0.1  # a round trip per 20 checks or so
