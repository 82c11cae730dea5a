"""System checks for what ``apipatterns`` cannot default (registered in ``ready()``).

- ``apipatterns.E001``: DRF's ``EXCEPTION_HANDLER`` is not
  ``apipatterns.handlers.exception_handler`` (DRF views would answer DRF's own error bodies).
- ``apipatterns.E002``: DRF's ``DEFAULT_SCHEMA_CLASS`` is not a drf-spectacular ``AutoSchema``
  (``/api/schema/`` would be a 500 "Incompatible AutoSchema").
- ``apipatterns.E003``: a middleware the conventions need is missing from ``MIDDLEWARE``.
- ``apipatterns.E004``: those middlewares are not the first three, in order (request ID, request
  log, problem details): the log line would miss the final status, or errors raised by the
  middleware above them would not become problem+json.
- ``apipatterns.E005``: the root URLconf does not route ``handler404``/``handler500`` to
  ``apipatterns.handlers`` (unknown URLs and crashes would be HTML pages).
- ``apipatterns.W001``: ``apipatterns.urls`` is not included (no ``/api/schema/``).
- ``apipatterns.W002``: ``/api/docs/`` would load Swagger UI from a CDN: ``drf_spectacular_sidecar``
  is not in ``INSTALLED_APPS`` or ``SPECTACULAR_SETTINGS["SWAGGER_UI_DIST"]`` is not ``"SIDECAR"``.

Each hint names the line to add to the project's settings or root URLconf.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import NoReverseMatch, get_resolver, reverse

#: The middlewares every service on the suite runs first, in this order.
REQUIRED_MIDDLEWARE = (
    "shared_core.request_id.RequestIDMiddleware",
    "apipatterns.middleware.RequestLogMiddleware",
    "apipatterns.middleware.ProblemDetailsMiddleware",
)
_MIDDLEWARE_PURPOSE = {
    REQUIRED_MIDDLEWARE[0]: "X-Request-ID in, out, and in every log line and error body",
    REQUIRED_MIDDLEWARE[1]: "one log line per request",
    REQUIRED_MIDDLEWARE[2]: "problem+json for errors outside DRF views",
}
_EXCEPTION_HANDLER = "apipatterns.handlers.exception_handler"
_SCHEMA_CLASS = "apipatterns.openapi.AutoSchema"


def check_rest_framework(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``apipatterns.E001`` and ``apipatterns.E002``: DRF's exception handler and schema class."""
    from rest_framework.settings import api_settings

    from apipatterns.handlers import exception_handler

    messages: list[CheckMessage] = []
    if api_settings.EXCEPTION_HANDLER is not exception_handler:
        messages.append(
            Error(
                "DRF's EXCEPTION_HANDLER is not apipatterns': errors of DRF views are not "
                "problem+json.",
                hint=f'Add "EXCEPTION_HANDLER": "{_EXCEPTION_HANDLER}" to REST_FRAMEWORK.',
                id="apipatterns.E001",
            )
        )
    if apps.is_installed("drf_spectacular"):
        from drf_spectacular.openapi import AutoSchema

        schema_class = api_settings.DEFAULT_SCHEMA_CLASS
        if not (isinstance(schema_class, type) and issubclass(schema_class, AutoSchema)):
            messages.append(
                Error(
                    "DRF's DEFAULT_SCHEMA_CLASS is not a drf-spectacular AutoSchema: /api/schema/ "
                    "cannot be generated.",
                    hint=f'Add "DEFAULT_SCHEMA_CLASS": "{_SCHEMA_CLASS}" to REST_FRAMEWORK.',
                    id="apipatterns.E002",
                )
            )
    return messages


def check_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``apipatterns.E003`` (missing) and ``apipatterns.E004`` (not first, in order)."""
    middleware = list(settings.MIDDLEWARE or ())
    messages: list[CheckMessage] = []
    for position, path in enumerate(REQUIRED_MIDDLEWARE):
        if path not in middleware:
            messages.append(
                Error(
                    f"{path} is not in MIDDLEWARE ({_MIDDLEWARE_PURPOSE[path]}).",
                    hint=f'Add "{path}" to MIDDLEWARE as entry {position + 1} '
                    f"(MIDDLEWARE.insert({position}, {path!r})).",
                    id="apipatterns.E003",
                )
            )
    if not messages and middleware[: len(REQUIRED_MIDDLEWARE)] != list(REQUIRED_MIDDLEWARE):
        messages.append(
            Error(
                "MIDDLEWARE does not start with the request ID, request log and problem details "
                "middlewares, in that order.",
                hint="Make these the first three entries of MIDDLEWARE: "
                + ", ".join(f'"{path}"' for path in REQUIRED_MIDDLEWARE)
                + ".",
                id="apipatterns.E004",
            )
        )
    return messages


def check_urlconf(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``apipatterns.E005`` (error handlers) and ``apipatterns.W001`` (schema URL)."""
    from apipatterns import handlers

    messages: list[CheckMessage] = []
    resolver = get_resolver()
    for status in (404, 500):
        handler = resolver.resolve_error_handler(status)
        if handler is not getattr(handlers, f"handler{status}"):
            messages.append(
                Error(
                    f"The root URLconf ({settings.ROOT_URLCONF}) does not set handler{status} to "
                    f"apipatterns': its {status} answers are HTML, not problem+json.",
                    hint=f'Add handler{status} = "apipatterns.handlers.handler{status}" to '
                    f"{settings.ROOT_URLCONF}.",
                    id="apipatterns.E005",
                )
            )
    try:
        reverse("apipatterns:schema")
    except NoReverseMatch:
        messages.append(
            Warning(
                "apipatterns.urls is not included: the service publishes no /api/schema/.",
                hint=f'Add path("", include("apipatterns.urls")) to urlpatterns in '
                f"{settings.ROOT_URLCONF}.",
                id="apipatterns.W001",
            )
        )
    else:
        messages.extend(_check_docs_page())
    return messages


def _check_docs_page() -> list[CheckMessage]:
    """``apipatterns.W002``: ``/api/docs/`` must take Swagger UI from the sidecar's static files."""
    spectacular = getattr(settings, "SPECTACULAR_SETTINGS", None) or {}
    missing = []
    if not apps.is_installed("drf_spectacular_sidecar"):
        missing.append('"drf_spectacular_sidecar" to INSTALLED_APPS')
    for key in ("SWAGGER_UI_DIST", "SWAGGER_UI_FAVICON_HREF"):
        if spectacular.get(key) != "SIDECAR":
            missing.append(f'"{key}": "SIDECAR" to SPECTACULAR_SETTINGS')
    if not missing:
        return []
    return [
        Warning(
            "/api/docs/ would load Swagger UI from a CDN (cdn.jsdelivr.net) instead of the "
            "service's own static files.",
            hint="Add " + " and ".join(missing) + ".",
            id="apipatterns.W002",
        )
    ]
