"""bench/logging_bench.py still runs and prints every row (figures are not checked: see bench/)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_logging_bench_prints_the_line_costs_and_the_steps():
    result = subprocess.run(
        [sys.executable, "-m", "bench.logging_bench", "--requests", "50", "--rounds", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert re.search(r"^line off \(LOG_LEVEL=WARNING\) +[\d.]+ *$", result.stdout, re.M)
    for row in ("JSON line", "text line"):
        assert re.search(rf"^{row} +[\d.]+ +-?[\d.]+$", result.stdout, re.M), result.stdout
    for step in ("make the record", "request-context + redaction filters", "JSON formatter"):
        assert re.search(rf"^{re.escape(step)}.* +-?[\d.]+$", result.stdout, re.M)
