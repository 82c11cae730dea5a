"""Each app's docs page lists every setting of its settings object, with the same default.

The table between the ``settings-table`` markers of ``docs/<app>.md`` is
``AppSettings.markdown_table()``; after changing a setting, rewrite the tables with
``python -m tests.docs.test_settings_tables`` (``DJANGO_SETTINGS_MODULE=settings.test``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.conf import accounts_settings
from apipatterns.conf import apipatterns_settings
from healthchecks.conf import health_settings
from shared_core.conf import AppSettings, shared_core_settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
ALL = [shared_core_settings, apipatterns_settings, accounts_settings, health_settings]
BEGIN, END = "<!-- settings-table: begin -->", "<!-- settings-table: end -->"
BLOCK = re.compile(re.escape(BEGIN) + r"\n(.*?)\n?" + re.escape(END), re.DOTALL)


def page(app_settings: AppSettings) -> Path:
    return DOCS / f"{app_settings.app}.md"


def documented_table(app_settings: AppSettings) -> str:
    match = BLOCK.search(page(app_settings).read_text())
    assert match, f"{page(app_settings)} has no settings table between {BEGIN} and {END}"
    return match[1]


@pytest.mark.parametrize("app_settings", ALL, ids=lambda s: s.app)
def test_the_docs_page_lists_every_setting_with_its_default(app_settings):
    rows = {}
    for line in documented_table(app_settings).splitlines()[2:]:
        name, default, _ = (cell.strip() for cell in line.strip("|").split(" | ", 2))
        rows[name.strip("`")] = default
    assert rows == {s.name: s.documented_default for s in app_settings}


@pytest.mark.parametrize("app_settings", ALL, ids=lambda s: s.app)
def test_the_docs_table_is_the_one_generated_from_the_settings_object(app_settings):
    assert documented_table(app_settings) == app_settings.markdown_table(), (
        "regenerate with: DJANGO_SETTINGS_MODULE=settings.test python -m tests.docs."
        "test_settings_tables"
    )


def write_tables() -> None:
    """Rewrite every page's table from its settings object."""
    for app_settings in ALL:
        path = page(app_settings)
        text = path.read_text()
        block = f"{BEGIN}\n{app_settings.markdown_table()}\n{END}"
        path.write_text(BLOCK.sub(lambda _: block, text))


if __name__ == "__main__":
    import django

    django.setup()
    write_tables()
