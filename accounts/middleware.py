"""Middleware of ``accounts``: API session tokens never work as cookies.

An API login's session key is the token a client sends as ``X-Session-Token``; Django's
``SessionMiddleware`` would also accept it in the ``sessionid`` cookie, which would log the token's
holder into the Django admin (and any cookie-authenticated view). ``CookieSessionGuardMiddleware``
sits right after ``SessionMiddleware`` and swaps such a session for a fresh, empty one, so the
cookie counts as no session at all (and Django deletes it in the response). The opposite
direction, an admin's cookie session used as a token, is refused where tokens are looked up
(``accounts.allauth_bridge.SessionTokenStrategy``).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accounts import sessions


class CookieSessionGuardMiddleware:
    """Refuse an API session presented as a session cookie (list it after SessionMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and sessions.is_api_session(session):
            request.session = self.session_store()
        return self.get_response(request)
