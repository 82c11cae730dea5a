"""``/health`` answered in front of Django: a liveness probe at the cost of the server alone.

``/health`` runs no check (``healthchecks.views.LivenessView``), so its answer is always the same;
through Django's handler and the middleware stack (request IDs, the request log, sessions,
allauth…) it still costs about as much CPU as a small API view. :class:`LivenessMiddleware`
wraps a WSGI application and answers a plain probe itself, with the view's body and headers::

    from django.core.wsgi import get_wsgi_application
    from healthchecks.wsgi import LivenessMiddleware

    application = LivenessMiddleware(get_wsgi_application())

A plain probe: ``GET`` or ``HEAD`` on ``/health``, no query string, an ``Accept`` the view would
answer with JSON (none, ``*/*``, ``application/json``) and a ``Host`` in ``ALLOWED_HOSTS``.
Anything else (``?format=text``, a browser, another method, an unknown host) goes to Django, which
answers exactly as before. The probe's answer is written to no request log (gunicorn's access log
still has it); an incoming safe ``X-Request-ID`` is echoed, else a new one is sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http.request import split_domain_port, validate_host
from django.utils.http import http_date

from shared_core.request_id import (
    REQUEST_ID_HEADER,
    REQUEST_ID_META_KEY,
    generate_request_id,
    is_safe_request_id,
)

__all__ = ["LIVENESS_BODY", "LivenessMiddleware"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

#: What ``LivenessView`` answers: no check, status ok.
LIVENESS_BODY = json.dumps({"status": "ok", "checks": {}}).encode()
# Accept values the view answers with its default JSON (healthchecks.views._prefers_default_json).
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})
_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(LIVENESS_BODY))),
    # django.utils.cache.add_never_cache_headers, as the view's answer has them.
    ("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private"),
    ("Vary", "Accept, Cookie"),
    ("X-Content-Type-Options", "nosniff"),
]


def _security_headers() -> list[tuple[str, str]]:
    """What SecurityMiddleware and XFrameOptionsMiddleware add to the view's answer."""
    headers = [("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper())]
    referrer = getattr(settings, "SECURE_REFERRER_POLICY", None)
    if referrer:
        value = referrer if isinstance(referrer, str) else ",".join(referrer)
        headers.append(("Referrer-Policy", value))
    opener = getattr(settings, "SECURE_CROSS_ORIGIN_OPENER_POLICY", None)
    if opener:
        headers.append(("Cross-Origin-Opener-Policy", opener))
    return headers


# What the settings give every probe's answer, built on first use and again after a settings
# change (``setting_changed``: tests, ``override_settings``): the static headers, and the Host
# values already judged (at most _MAX_HOSTS of them, so a flood of made-up hosts cannot grow it).
_settings_cache: dict[str, Any] = {}
_MAX_HOSTS = 64


@receiver(setting_changed)
def _forget_settings(**kwargs: Any) -> None:
    _settings_cache.clear()


def _static_headers() -> list[tuple[str, str]]:
    headers = _settings_cache.get("headers")
    if headers is None:
        headers = _settings_cache["headers"] = [*_HEADERS, *_security_headers()]
    return headers


def _host_allowed(host: str) -> bool:
    hosts: dict[str, bool] = _settings_cache.setdefault("hosts", {})
    allowed = hosts.get(host)
    if allowed is None:
        domain, _port = split_domain_port(host)
        patterns = settings.ALLOWED_HOSTS
        if settings.DEBUG and not patterns:
            patterns = [".localhost", "127.0.0.1", "[::1]"]  # Django's own DEBUG default
        allowed = bool(domain) and validate_host(domain, patterns)
        if len(hosts) < _MAX_HOSTS:
            hosts[host] = allowed
    return allowed


_expires: tuple[int, str] = (0, "")


def _expires_now() -> str:
    """``http_date()`` of this second (the same value for every probe within it)."""
    global _expires
    second = int(time.time())
    if _expires[0] != second:
        _expires = (second, http_date(second))
    return _expires[1]


class LivenessMiddleware:
    """Answer plain ``/health`` probes before ``app`` (see the module docstring)."""

    def __init__(self, app: WSGIApp, path: str = "/health") -> None:
        self.app = app
        self.path = path

    def is_probe(self, environ: dict[str, Any]) -> bool:
        """A request this middleware answers itself, identically to the view."""
        if (
            environ.get("PATH_INFO") != self.path
            or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or environ.get("QUERY_STRING")
            or environ.get("HTTP_ACCEPT", "").strip() not in _JSON_ACCEPTS
        ):
            return False
        return _host_allowed(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not self.is_probe(environ):
            return self.app(environ, start_response)
        request_id = environ.get(REQUEST_ID_META_KEY)
        if not is_safe_request_id(request_id):
            request_id = generate_request_id()
        start_response(
            "200 OK",
            [*_static_headers(), ("Expires", _expires_now()), (REQUEST_ID_HEADER, request_id)],
        )
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [LIVENESS_BODY]
