"""Django system checks for the healthchecks settings (run by ``manage.py check`` and at start).

- ``healthchecks.E001``: ``HEALTHCHECK_DEPENDENCIES`` is not a mapping of names to URLs.
- ``healthchecks.E002``: one of its URLs is not an absolute http(s) URL.
- ``healthchecks.E003``: ``HEALTHCHECK_TIMEOUT`` is not a positive number.
- ``healthchecks.E004``: one of its URLs holds credentials.
- ``healthchecks.E005``: ``/health`` or ``/ready`` is not routed (``healthchecks.urls`` missing).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.urls import NoReverseMatch, reverse

from healthchecks.conf import health_settings


@register()
def check_healthcheck_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``HEALTHCHECK_DEPENDENCIES`` maps names to http(s) URLs; ``HEALTHCHECK_TIMEOUT`` > 0."""
    errors: list[CheckMessage] = []
    dependencies = health_settings.HEALTHCHECK_DEPENDENCIES
    if not isinstance(dependencies, dict):
        errors.append(
            Error(
                "HEALTHCHECK_DEPENDENCIES must be a JSON object of service name -> health URL.",
                hint='For example: HEALTHCHECK_DEPENDENCIES=\'{"user-service": '
                '"http://user-service:8001/health"}\'',
                id="healthchecks.E001",
            )
        )
    else:
        for name, url in dependencies.items():
            parts = urlsplit(url) if isinstance(url, str) else None
            valid = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
            if valid and (parts.username or parts.password):
                errors.append(
                    Error(
                        f"HEALTHCHECK_DEPENDENCIES[{name!r}] holds credentials in its URL.",
                        hint="Health endpoints need none; HTTPClient sends SERVICE_AUTH_TOKEN.",
                        id="healthchecks.E004",
                    )
                )
            elif not name or not valid:
                errors.append(
                    Error(
                        f"HEALTHCHECK_DEPENDENCIES[{name!r}] is not an http(s) URL.",
                        hint="Give the full URL of the service's /health endpoint.",
                        id="healthchecks.E002",
                    )
                )
    timeout = health_settings.HEALTHCHECK_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        errors.append(
            Error(
                "HEALTHCHECK_TIMEOUT must be a positive number of seconds.",
                id="healthchecks.E003",
            )
        )
    return errors


@register(Tags.urls)
def check_healthcheck_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``healthchecks.E005``: ``/health`` and ``/ready`` are routed (``healthchecks.urls``)."""
    missing = []
    for name in ("health", "ready"):
        try:
            reverse(name)
        except NoReverseMatch:
            missing.append(name)
    if not missing:
        return []
    return [
        Error(
            f"The root URLconf ({settings.ROOT_URLCONF}) has no {' or '.join(missing)} URL: "
            f"probes cannot reach the service.",
            hint=f'Add path("", include("healthchecks.urls")) to urlpatterns in '
            f"{settings.ROOT_URLCONF}.",
            id="healthchecks.E005",
        )
    ]
