"""allauth's headless API (``allauth.headless.urls``), answered in our envelope.

The identity service mounts allauth's own endpoints under ``/_allauth/app/v1/…`` (app client: the
session token travels as ``X-Session-Token``, the same token ``/api/v1/auth/*`` hands out), for
the jobs allauth does exactly as we promise them (:data:`SERVED`): configuration, login, the
current session (``GET``; ``DELETE`` logs out), provider-token login and the user's list of
sessions. The others stay ours, on ``/api/v1/auth/*``, because allauth's would weaken a property
the tests pin: its signup answers ``email_taken`` for a registered email when email verification
is off (enumeration), its reset request does not void older reset tokens, its password change does
not end the other sessions at once, and its email management bypasses ``User.email``.

allauth's views are unchanged; every one is wrapped by :func:`envelope_view`, the one place
allauth's JSON becomes ours:

======================================  =================================================
allauth's answer                        ours
======================================  =================================================
2xx ``{"status", "data", "meta"}``      same status, ``{"data": data, "meta": meta +
                                        request_id}`` (``meta.session_token`` stays)
4xx/5xx ``{"status", "errors": [...]}``  ``application/problem+json``: ``code`` and
                                        ``detail`` of the first error, every error in
                                        ``errors`` as ``{code, detail[, pointer: "#/<param>"]}``
401 without errors (not logged in,      problem ``not_authenticated``; the ``flows`` allauth
or just logged out) / 410 (session      offers and its ``meta`` kept as extension members;
token no longer valid)                  410 is ``invalid_session``
429 (allauth's rate limits)             problem ``too_many_attempts``
======================================  =================================================

Anything that is not an allauth JSON body (a redirect, an HTML page) passes through untouched;
``apipatterns.middleware.ProblemDetailsMiddleware`` still turns error pages into problems.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, include, path
from django.utils.cache import add_never_cache_headers

from apipatterns.problems import Problem, ProblemJSONResponse
from shared_core.request_id import get_request_id
from shared_core.retry_after import parse_retry_after

#: Where the identity service mounts allauth's headless URLs.
HEADLESS_PREFIX = "_allauth/"

#: The allauth headless URL names served (see the module docstring for the ones left out).
SERVED = frozenset({"config", "login", "current_session", "provider_token", "sessions"})

# allauth answers these without an ``errors`` list; our problem code for each.
_STATUS_CODES = {401: "not_authenticated", 410: "invalid_session", 429: "too_many_attempts"}
_STATUS_DETAILS = {
    401: "Not authenticated: log in first (see flows).",
    410: "The session token is invalid or has expired.",
    429: "Too many attempts. Try again later.",
}


def _allauth_body(response: HttpResponse) -> dict[str, Any] | None:
    if not isinstance(response, JsonResponse) or getattr(response, "streaming", False):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("status"), int):
        return None
    return body


def _error_items(errors: list[Any]) -> list[dict[str, str]]:
    items = []
    for error in errors:
        if not isinstance(error, dict):
            continue
        item = {"code": str(error.get("code") or "invalid"), "detail": str(error.get("message"))}
        if error.get("param"):
            item["pointer"] = f"#/{error['param']}"
        items.append(item)
    return items


def to_envelope(response: HttpResponse) -> HttpResponse:
    """allauth's headless JSON answer in our envelope (success) or as problem+json (error)."""
    body = _allauth_body(response)
    if body is None:
        return response
    status = response.status_code
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    if status < 400:
        converted: HttpResponse = JsonResponse(
            {"data": body.get("data"), "meta": {**meta, "request_id": get_request_id()}},
            status=status,
        )
    else:
        items = _error_items(body.get("errors") or [])
        code = items[0]["code"] if items else _STATUS_CODES.get(status)
        detail = items[0]["detail"] if items else _STATUS_DETAILS.get(status)
        extra: dict[str, Any] = {}
        data = body.get("data")
        if isinstance(data, dict) and "flows" in data:
            extra["flows"] = data["flows"]
        if meta:
            extra["meta"] = meta
        if status == 429 and items:
            code = "too_many_attempts"
        retry_after = parse_retry_after(response.get("Retry-After"))
        converted = ProblemJSONResponse(
            Problem(status, code, detail, items, retry_after=retry_after, extra=extra)
        )
    add_never_cache_headers(converted)
    return converted


def envelope_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap one allauth view so its answer goes through :func:`to_envelope`."""

    @functools.wraps(view)  # keeps csrf_exempt and view_class
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except ImmediateHttpResponse as exc:  # e.g. the 410 of an expired session token
            response = exc.response
        return to_envelope(response)

    return wrapped


def _wrap(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    wrapped: list[URLPattern | URLResolver] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = _wrap(list(entry.url_patterns))
            if inner:
                wrapped.append(
                    URLResolver(
                        entry.pattern, inner, entry.default_kwargs, entry.app_name, entry.namespace
                    )
                )
        elif entry.name in SERVED:
            wrapped.append(
                URLPattern(
                    entry.pattern, envelope_view(entry.callback), entry.default_args, entry.name
                )
            )
    return wrapped


def headless_urlpatterns() -> list[URLResolver]:
    """The :data:`SERVED` part of ``allauth.headless.urls`` under :data:`HEADLESS_PREFIX`,
    every view enveloped."""
    from allauth.headless import urls as headless_urls

    return [
        path(
            HEADLESS_PREFIX,
            include((_wrap(list(headless_urls.urlpatterns)), "headless"), namespace="headless"),
        )
    ]
