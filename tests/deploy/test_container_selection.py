"""When the ``container`` tests run (tests/conftest.py) and what they do without podman
(tests/deploy/conftest.py): once per ``scripts/test``, in the PostgreSQL pass; deselected, not
skipped, in the SQLite pass; skipped with the reason outside CI where podman is missing, failed
under CI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.servers import ROOT

PROBE = ROOT / "tests" / "deploy" / "probe_container.py"


def run_probe(**env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    base.pop("RUN_CONTAINER_TESTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(PROBE)],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_sqlite_pass_deselects_them_even_under_ci():
    result = run_probe(CI="true")
    assert "1 deselected" in result.stdout, result.stdout
    assert "skipped" not in result.stdout


@pytest.mark.parametrize("ci", ["", "true"])
def test_without_podman_they_skip_with_the_reason_outside_ci_and_fail_under_ci(ci):
    # RUN_CONTAINER_TESTS=1 selects them in this pass; no podman on this PATH.
    result = run_probe(CI=ci, RUN_CONTAINER_TESTS="1", PATH="/nonexistent")
    assert "run .ci/setup-containers as root" in result.stdout, result.stdout
    if ci:
        assert result.returncode == 1 and "1 error" in result.stdout  # failed in its fixture
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout
