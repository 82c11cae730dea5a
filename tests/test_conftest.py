"""The suite's own pytest rules (tests/conftest.py): under CI=true nothing may skip."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "tests" / "ci_guard" / "probe_skip.py"


def run_probe(ci: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PROBE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("ci", ["true", "1"])
def test_a_skip_fails_the_run_under_ci(ci):
    result = run_probe(ci)
    assert result.returncode == 1, result.stdout
    assert "skipped under CI=true, where nothing may skip: Skipped: probe reason" in result.stdout
    assert "1 failed" in result.stdout


def test_a_skip_is_a_skip_outside_ci():
    result = run_probe("")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
