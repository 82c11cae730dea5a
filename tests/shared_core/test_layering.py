"""shared_core is the bottom layer: it imports no sibling app and knows no API convention."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import shared_core

SHARED_CORE = Path(shared_core.__file__).resolve().parent
SIBLINGS = {"apipatterns", "accounts", "healthchecks", "services", "settings", "tests"}
MODULES = sorted(
    path
    for path in SHARED_CORE.rglob("*.py")
    if "migrations" not in path.relative_to(SHARED_CORE).parts
)


def imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.partition(".")[0])
    return roots


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SHARED_CORE)))
def test_shared_core_imports_no_sibling_app(path):
    roots = imported_roots(ast.parse(path.read_text(), filename=str(path)))
    assert not roots & SIBLINGS, f"{path.name} imports {sorted(roots & SIBLINGS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SHARED_CORE)))
def test_shared_core_does_not_unwrap_the_api_envelope(path):
    """The ``{"data": …, "meta": …}`` envelope is apipatterns' convention (unwrapped by
    ``apipatterns.service_calls``): no code in shared_core names its keys."""
    tree = ast.parse(path.read_text(), filename=str(path))
    keys = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in {"data", "meta"}
    }
    assert not keys, f"{path.name} names the envelope's {sorted(keys)}"


def test_the_checks_see_every_module_of_the_http_package():
    names = {path.relative_to(SHARED_CORE).as_posix() for path in MODULES}
    assert {"http/client.py", "http/errors.py", "http/policy.py", "http/registry.py"} <= names
