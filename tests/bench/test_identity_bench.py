"""bench/identity_bench.py still runs and prints its rows (figures are not checked: see bench/)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_identity_bench_prints_the_cost_per_cached_request(redis_url):
    env = {key: value for key, value in os.environ.items() if key != "CACHE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.identity_bench",
            "--requests",
            "5",
            "--rounds",
            "2",
            "--redis",
            redis_url,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["identity", "cache"]
    assert lines[1].startswith("local memory") and lines[1].endswith("no network")
    assert lines[2].startswith("Redis") and "per request" in lines[2]
