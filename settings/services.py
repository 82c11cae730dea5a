"""Helpers for a service's settings, kept for code written against them (``shared_core.presets``).

New services call ``shared_core.presets.service()``, which does all of this.
"""

from __future__ import annotations

from typing import Any

from settings.base import BASE_DIR
from shared_core.presets import (
    consumer_installed_apps,
    consumer_rest_framework,
    database,
    service_caches,
)

__all__ = [
    "consumer_installed_apps",
    "consumer_rest_framework",
    "service_caches",
    "service_database",
]


def service_database(slug: str) -> dict[str, dict[str, Any]]:
    """``DATABASES`` for one service: ``DATABASE_URL`` when set, else ``var/<slug>.sqlite3``."""
    return {"default": database(f"sqlite:///{BASE_DIR / 'var' / f'{slug}.sqlite3'}", server=True)}
