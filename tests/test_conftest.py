"""The suite's own pytest rules (tests/conftest.py): under CI=true nothing may skip, and a
thread that dies with an exception fails the test (or the run) it died in."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "tests" / "ci_guard" / "probe_skip.py"
THREAD_PROBE = ROOT / "tests" / "ci_guard" / "probe_thread.py"


def run_probe(ci: str, probe: Path = PROBE) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
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


def test_a_thread_that_raises_fails_its_test_and_the_run():
    result = run_probe("", THREAD_PROBE)
    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert "ERROR tests/ci_guard/probe_thread.py::test_a_thread_dies_during_the_test" in out
    assert "RuntimeError: probe thread died" in out
    assert "Exception in thread probe-thread" in out
    # The next test is not blamed for it; a module fixture's teardown fails the run.
    assert "::test_a_quiet_test_after_it" not in out.split("short test summary")[-1]
    assert "A thread raised outside the tests:" in out
