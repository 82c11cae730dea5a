"""Every dotted name of the suite that the docs and the README quote still exists.

A name in backticks that starts with one of the suite's packages (``shared_core.models.BaseModel``,
``apipatterns.handlers.handler404``, ``settings.base``) must be a module, an attribute reached
from one, a model label (``accounts.User``), or a string the code itself uses (a logger name
such as ``apipatterns.requests``). Modules are found without importing them (``settings.prod``
would refuse to load here); only the module an attribute is read from is imported. So moving or
renaming a module or a function fails here until its pages say where it went.
"""

from __future__ import annotations

import importlib
import importlib.util
import re

import pytest
from django.apps import apps

from tests.servers import ROOT

PACKAGES = ("shared_core", "apipatterns", "accounts", "healthchecks", "services", "settings")
NAME = re.compile(r"`[^`\n]*?\b((?:" + "|".join(PACKAGES) + r")(?:\.[A-Za-z_]\w*)+)")
NOT_A_NAME = re.compile(r"\.(?:[EW]\d{3}|md|py|toml|yml)$")  # check IDs and file names
SOURCES = ("shared_core", "apipatterns", "accounts", "healthchecks")


def quoted_names() -> list[tuple[str, str]]:
    pages = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
    return sorted(
        {
            (str(page.relative_to(ROOT)), match[1])
            for page in pages
            for match in NAME.finditer(page.read_text())
            if not NOT_A_NAME.search(match[1])
        }
    )


def used_as_string(name: str) -> bool:
    """``name`` appears in the apps' own code as (part of) a string literal."""
    return any(
        re.search(r"[\"'][^\"'\n]*" + re.escape(name), path.read_text())
        for package in SOURCES
        for path in (ROOT / package).rglob("*.py")
    )


def resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        if cut == len(parts):
            return True
        obj = importlib.import_module(module)
        for attribute in parts[cut:]:
            if not hasattr(obj, attribute):
                return False
            obj = getattr(obj, attribute)
        return True
    return False


def is_model_label(name: str) -> bool:
    try:
        apps.get_model(name)
    except (LookupError, ValueError):
        return False
    return True


def test_the_pages_quote_names():
    assert len(quoted_names()) >= 100


@pytest.mark.parametrize(("page", "name"), quoted_names(), ids=lambda value: value)
def test_quoted_name_exists(page, name):
    assert resolves(name) or is_model_label(name) or used_as_string(name), (
        f"{page} quotes `{name}`, which is no module, attribute, model or string of the suite"
    )
