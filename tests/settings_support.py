"""Run code as if the project's settings left some names out (to see the apps' defaults)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.signals import setting_changed
from django.test import override_settings


@contextmanager
def unset(*names: str) -> Iterator[None]:
    """Delete ``names`` from the settings inside the block, with the ``setting_changed`` signals
    that ``override_settings`` sends for a value (it sends none for a deletion)."""
    with override_settings():
        for name in names:
            if hasattr(settings, name):
                delattr(settings, name)
            setting_changed.send(sender=type(settings), setting=name, value=None, enter=True)
        yield
    for name in names:
        value = getattr(settings, name, None)
        setting_changed.send(sender=type(settings), setting=name, value=value, enter=False)
