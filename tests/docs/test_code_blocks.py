"""Every code block of every docs page is run (or parsed), or says why it cannot be.

A page's fenced blocks, by info string:

- ``python``: executed in order, one namespace per page (a later block sees the names an earlier
  one defined), inside a Django test database with ``DJANGO_ENV=development``. A model a block
  defines is registered in an isolated app registry (app ``tests.softdelete``) and gets its table
  as soon as its block has run; the tables are dropped when the page is done. ``__file__`` is
  ``<repository>/docs/example/settings.py``, so ``Path(__file__).resolve().parents[2]`` is the
  repository, as in a service's settings module.
- ``sh``: each command (``\\``-continued lines joined) runs with bash in the repository root, with
  this test run's interpreter first on ``PATH``; it must exit 0.
- ``json`` and ``yaml``: must parse.
- anything else, or a block that cannot run (it needs the demo stack, a container engine, a
  cluster; it is an excerpt or a program's output): the line just before its opening fence is
  ``<!-- not-executed: <reason> -->``, and the reason is not empty.

``docs/quickstart.md`` is left out: ``test_quickstart.py`` runs its blocks as a new project, and
``tests/adoption/`` its section 7. The parser below is the one both use (``FENCE``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.db.models.base import ModelBase
from django.test.utils import isolate_apps

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"^<!--\s*not-executed:(?P<reason>.*?)-->\s*$")
# Pages whose blocks another test runs, and which one.
RUN_ELSEWHERE = {"quickstart.md": "tests/docs/test_quickstart.py and tests/adoption/"}
RUNNABLE = {"python", "sh"}
PARSED = {"json": json.loads, "yaml": lambda text: list(yaml.safe_load_all(text))}
# The app whose label models defined on a page take (tests only, never shipped).
EXAMPLE_APP = "tests.softdelete"


class Block:
    """One fenced block of a page: its language, body, line number and skip reason (if any)."""

    def __init__(self, page: Path, match: re.Match[str], text: str) -> None:
        self.page = page
        self.language = (match["info"].split() or [""])[0]
        self.body = match["body"]
        self.line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.match(before)
        self.reason = marker["reason"].strip() if marker else None

    def __repr__(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line} ({self.language or 'no language'})"


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if p.name not in RUN_ELSEWHERE)


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    return [Block(page, match, text) for match in FENCE.finditer(text)]


def pages_with(*languages: str) -> list[Path]:
    """The pages that have an unmarked block in one of ``languages``."""
    return [
        page
        for page in pages()
        if any(b.reason is None and b.language in languages for b in blocks(page))
    ]


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


def commands(body: str) -> list[str]:
    """The shell commands of an ``sh`` block: continuation lines joined, blank lines dropped."""
    joined = re.sub(r"\\\n", " ", body)
    return [line for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def run_sh(block: Block) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for command in commands(block.body):
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, (
            f"{block}: {command}\n-> exit {result.returncode}\n{result.stdout[-2000:]}"
            f"{result.stderr[-2000:]}"
        )


def test_every_block_runs_or_says_why_not():
    """A block is runnable, parsed, or marked with a reason; none is silently left out."""
    unaccounted = []
    for page in pages():
        for block in blocks(page):
            if block.reason is not None:
                if not block.reason:
                    unaccounted.append(f"{block}: not-executed without a reason")
            elif block.language not in RUNNABLE | set(PARSED):
                unaccounted.append(f"{block}: neither runnable nor marked not-executed")
    assert not unaccounted, "\n".join(unaccounted)


def test_most_blocks_really_run():
    """The marker is for what cannot run: most blocks on the pages are run or parsed."""
    all_blocks = [block for page in pages() for block in blocks(page)]
    marked = [block for block in all_blocks if block.reason is not None]
    assert len(all_blocks) >= 15
    assert len(marked) * 2 < len(all_blocks), marked


@pytest.mark.parametrize("page", pages_with(*PARSED), ids=page_id)
def test_parsed_blocks_parse(page):
    for block in blocks(page):
        if block.reason is None and block.language in PARSED:
            try:
                PARSED[block.language](block.body)
            except (ValueError, yaml.YAMLError) as error:
                pytest.fail(f"{block} does not parse: {error}")


@pytest.mark.parametrize("page", pages_with("sh"), ids=page_id)
def test_sh_blocks_run(page):
    for block in blocks(page):
        if block.reason is None and block.language == "sh":
            run_sh(block)


@pytest.mark.parametrize("page", pages_with("python"), ids=page_id)
def test_python_blocks_run(page, transactional_db, monkeypatch):
    python = [b for b in blocks(page) if b.reason is None and b.language == "python"]
    monkeypatch.setenv("DJANGO_ENV", "development")
    namespace: dict[str, object] = {
        "__name__": f"{EXAMPLE_APP}.docs_{page.stem}",
        "__file__": str(DOCS / "example" / "settings.py"),
    }
    created: list[type] = []
    with isolate_apps(EXAMPLE_APP) as registry:
        try:
            for block in python:
                code = compile(block.body, f"{page.relative_to(REPO)}:{block.line}", "exec")
                exec(code, namespace)  # the page's own example code
                for value in list(namespace.values()):
                    if (
                        isinstance(value, ModelBase)
                        and value._meta.apps is registry
                        and value not in created
                    ):
                        with connection.schema_editor() as editor:
                            editor.create_model(value)
                        created.append(value)
        finally:
            with connection.schema_editor() as editor:
                for model in reversed(created):
                    editor.delete_model(model)
