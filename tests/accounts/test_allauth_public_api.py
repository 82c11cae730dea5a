"""The project uses django-allauth's public surface only.

Every Python file of the project (apps, services, settings, scripts, bench, tests) is parsed and
each import of allauth is checked: no module path with an ``internal`` part (``allauth.*.internal``,
``allauth.core.internal``) and no imported name or module part starting with an underscore.
A private module can change in any allauth release; the failure names the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", "venv", ".git", "node_modules", "build", "dist", "site", "__pycache__"}


def project_files() -> list[Path]:
    """The project's own Python files (no virtualenv, no build output)."""
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts)
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts[:-1])
    )


def _is_private(dotted: str) -> bool:
    return any(part == "internal" or part.startswith("_") for part in dotted.split("."))


def private_allauth_imports(source: str) -> list[tuple[int, str]]:
    """(line, import) of every allauth import that reaches a private module or name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "allauth" and _is_private(alias.name):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "allauth":
                continue
            if _is_private(node.module):
                found.append((node.lineno, f"from {node.module} import ..."))
                continue
            for alias in node.names:
                if alias.name == "internal" or alias.name.startswith("_"):
                    found.append((node.lineno, f"from {node.module} import {alias.name}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"import_module", "import_string", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.startswith("allauth.")
            and _is_private(node.args[0].value)
        ):
            found.append((node.lineno, f"{node.func.id}({node.args[0].value!r})"))
    return found


def test_no_project_file_imports_a_private_allauth_module():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in project_files()
        for line, text in private_allauth_imports(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "private allauth imports:\n" + "\n".join(offenders)


def test_the_scan_covers_the_apps_services_and_settings():
    names = {path.relative_to(ROOT).as_posix() for path in project_files()}
    assert {"accounts/allauth_bridge.py", "accounts/authentication.py"} <= names
    assert any(name.startswith("services/") for name in names)
    assert any(name.startswith("settings/") for name in names)


@pytest.mark.parametrize(
    "source",
    [
        "from allauth.account.internal.flows import login",
        "from allauth.core.internal import ratelimit",
        "import allauth.headless.internal.sessionkit",
        "from allauth.account import internal",
        "from allauth.account.adapter import _private",
        "def f():\n    from allauth.socialaccount.internal import flows",
        "import_module('allauth.core.internal.httpkit')",
    ],
)
def test_the_scan_catches_private_imports(source):
    assert private_allauth_imports(source)


@pytest.mark.parametrize(
    "source",
    [
        "from allauth.account.adapter import get_adapter",
        "from allauth.core import ratelimit",
        "import allauth.account.forms",
        "from allauth_extras.internal import thing",
        "from .internal import thing",
    ],
)
def test_the_scan_lets_public_imports_through(source):
    assert not private_allauth_imports(source)


def test_the_allauth_under_test_is_the_declared_floor_or_newer():
    """scripts/test's floor run sets ALLAUTH_EXPECTED_VERSION (proves the shadowing worked);
    every other run has an allauth the package's own requirement admits."""
    import os
    import tomllib

    import allauth
    from packaging.requirements import Requirement
    from packaging.version import Version

    version = Version(allauth.__version__)
    expected = os.environ.get("ALLAUTH_EXPECTED_VERSION")
    if expected:
        assert version == Version(expected)
        return
    with (ROOT / "pyproject.toml").open("rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    (allauth_requirement,) = [
        Requirement(d) for d in dependencies if Requirement(d).name == "django-allauth"
    ]
    assert version in allauth_requirement.specifier
