"""docs/security.md: every test it names as a proof exists (the page cannot drift)."""

from __future__ import annotations

import re

from tests.servers import ROOT

PAGE = (ROOT / "docs" / "security.md").read_text()
TESTS = ROOT / "tests"


def test_every_named_test_exists():
    names = set(re.findall(r"::(test_\w+)", PAGE))
    assert len(names) >= 20
    defined = {
        match
        for path in TESTS.rglob("test_*.py")
        for match in re.findall(r"^def (test_\w+)", path.read_text(), re.M)
    }
    assert names <= defined, sorted(names - defined)


def test_every_named_test_file_exists():
    files = set(re.findall(r"`(?:tests/[\w/]+/)?(test_\w+\.py)", PAGE))
    existing = {path.name for path in TESTS.rglob("test_*.py")}
    assert files and files <= existing, sorted(files - existing)
