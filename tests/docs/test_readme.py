"""README.md: short (under 10 KB), and its first lines give the run and test commands.

``.ci/run`` calls the README's test command and tests/deploy/test_github_workflow.py reads it
there; everything else lives in docs/ (the documentation site).
"""

from __future__ import annotations

import re

from tests.servers import ROOT

README = ROOT / "README.md"


def test_readme_is_under_10_kb():
    assert len(README.read_bytes()) < 10 * 1024


def test_readme_first_lines_give_the_two_commands():
    head = README.read_text().splitlines()[:8]
    commands = [line.split("#")[0].strip() for line in head if line.startswith("./scripts/")]
    assert commands == ["./scripts/run", "./scripts/test"], head


def test_readme_links_point_at_existing_files():
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text())
    assert targets
    missing = [t for t in targets if "://" not in t and not (ROOT / t).exists()]
    assert not missing, missing
