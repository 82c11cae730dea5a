"""docs/apipatterns.md "Error codes" is the one list of problem codes, held to the code.

Codes come from four places: the exception classes of the suite and of DRF (``default_code`` with
``status_code``), literal codes handed to the problem builders (``build_problem``, ``Problem``,
``error_response``, ``APIError(code=…)``), the status table (``STATUS_CODES``) and the gunicorn
hook's own table. The documented table must have each of them, with its status, and nothing else.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from rest_framework import exceptions as drf

from apipatterns.problems import STATUS_CODES

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "apipatterns.md"
PACKAGES = ("accounts", "apipatterns", "healthchecks", "shared_core", "services")
BUILDERS = {"build_problem", "Problem", "error_response"}


def documented() -> dict[str, int]:
    text = DOC.read_text()
    table = text.split("<!-- error-codes:start -->")[1].split("<!-- error-codes:end -->")[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", table, flags=re.MULTILINE)
    codes = {code: int(status) for code, status in rows}
    assert len(codes) == len(rows), "a code is listed twice"
    return codes


def _python_files() -> list[Path]:
    files = [path for package in PACKAGES for path in (REPO / package).rglob("*.py")]
    return [*files, REPO / "deploy" / "gunicorn.conf.py"]


def literal_codes() -> dict[str, set[str]]:
    """Codes written as literals where a problem is built: ``{code: {where}}``."""
    found: dict[str, set[str]] = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text())):
            where = str(path.relative_to(REPO))
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
                if name in BUILDERS and len(node.args) > 1:
                    code = node.args[1]
                    if isinstance(code, ast.Constant) and isinstance(code.value, str):
                        found.setdefault(code.value, set()).add(where)
                if name.endswith(("Error", "Exception")) and name != "ValidationError":
                    for keyword in node.keywords:
                        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                            found.setdefault(keyword.value.value, set()).add(where)
            elif isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) == "_GUNICORN_PROBLEMS" for target in node.targets
            ):
                for value in node.value.values:  # type: ignore[attr-defined]
                    found.setdefault(value.elts[0].value, set()).add(where)
    return found


def _all_subclasses(cls: type) -> set[type]:
    subclasses = set(cls.__subclasses__())
    for sub in list(subclasses):
        subclasses |= _all_subclasses(sub)
    return subclasses


def exception_codes() -> set[tuple[str, int]]:
    """``(default_code, status_code)`` of every APIException class of the suite and of DRF."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" in info.name or info.name.endswith((".manage", ".wsgi", ".settings")):
                continue
            importlib.import_module(info.name)
    codes: set[tuple[str, int]] = set()
    for cls in _all_subclasses(drf.APIException):
        module = cls.__module__
        ours = module.split(".")[0] in PACKAGES
        if not (ours or module == drf.__name__) or cls is drf.ValidationError:
            continue  # other libraries' classes; ValidationError is answered validation_error
        if cls.default_code != drf.APIException.default_code:
            codes.add((cls.default_code, cls.status_code))
    return codes


def test_every_code_the_suite_can_answer_is_documented_with_its_status():
    docs = documented()
    pairs = {(code, status) for status, code in STATUS_CODES.items()} | exception_codes()
    for code, status in sorted(pairs):
        assert docs.get(code) == status, f"{code} ({status}) is missing from {DOC.name}"
    missing = {code: where for code, where in literal_codes().items() if code not in docs}
    assert missing == {}


def test_every_documented_code_is_used_somewhere():
    used = {*STATUS_CODES.values(), *(code for code, _ in exception_codes()), *literal_codes()}
    assert set(documented()) - used == set()


@pytest.mark.parametrize(
    "code", ["invalid_session", "invalid_token", "invalid_credentials", "too_many_attempts"]
)
def test_the_accounts_codes_are_in_the_list(code):
    assert code in documented()


def test_bad_credentials_are_documented_as_a_400():
    assert documented()["invalid_credentials"] == 400
    assert "Wrong credentials are a 400, not a 401" in DOC.read_text()
