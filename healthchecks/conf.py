"""The settings of ``healthchecks``, each with its default (see :mod:`shared_core.conf`)."""

from __future__ import annotations

from shared_core.conf import AppSettings, Setting

__all__ = ["health_settings"]

#: ``healthchecks``' settings.
health_settings = AppSettings(
    "healthchecks",
    [
        Setting(
            "HEALTHCHECK_DEPENDENCIES",
            {},
            'Other services `/ready` probes: `{"user-service": '
            '"http://user-service:8001/health"}` (name to the full URL of its `/health`).',
        ),
        Setting(
            "HEALTHCHECK_STORAGE",
            False,
            "Probe the default storage (write, read, delete) on `/ready`: `True` where the "
            "service keeps files.",
        ),
        Setting(
            "HEALTHCHECK_TIMEOUT",
            2.0,
            "Seconds each `/ready` check may take; the whole answer comes within about this "
            "plus one second.",
        ),
    ],
)
