"""healthchecks.wsgi.LivenessMiddleware: plain /health probes answered before Django, the same
answer as the view's; everything else reaches Django unchanged."""

from __future__ import annotations

import io
import json
import time
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.wsgi import get_wsgi_application

from healthchecks.wsgi import LivenessMiddleware


class Counting:
    """Django's WSGI application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app(environ, start_response)


def request(app, path="/health", method="GET", query="", **headers: str) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "PATH_INFO": path,
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "HTTP_HOST": "localhost",
        "wsgi.input": io.BytesIO(b""),
    }
    environ.update({f"HTTP_{k.upper()}": v for k, v in headers.items()})
    setup_testing_defaults(environ)
    answer: dict[str, Any] = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    chunks = app(environ, start_response)
    answer["body"] = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return answer


@pytest.fixture
def django_app(settings, db) -> Counting:
    # db: Django's real handler runs close_old_connections around every request.
    settings.ALLOWED_HOSTS = ["localhost"]
    return Counting()


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_a_plain_probe_gets_the_views_answer_without_reaching_django(django_app, accept):
    headers = {} if accept is None else {"accept": accept}
    direct = request(django_app, **headers)
    fast = request(LivenessMiddleware(django_app), **headers)

    assert django_app.calls == 1  # only the direct request
    assert fast["status"] == direct["status"] == 200
    assert json.loads(fast["body"]) == json.loads(direct["body"]) == {"status": "ok", "checks": {}}
    assert set(fast["headers"]) == set(direct["headers"])
    for name in set(direct["headers"]) - {"Expires", "X-Request-ID"}:
        assert fast["headers"][name] == direct["headers"][name], name
    assert fast["headers"]["Expires"]
    assert len(fast["headers"]["X-Request-ID"]) == 32


def test_head_gets_the_headers_without_a_body(django_app):
    answer = request(LivenessMiddleware(django_app), method="HEAD")
    assert answer["status"] == 200 and answer["body"] == b""
    assert answer["headers"]["Content-Length"] == str(len(b'{"status": "ok", "checks": {}}'))
    assert django_app.calls == 0


def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced(django_app):
    app = LivenessMiddleware(django_app)
    assert request(app, x_request_id="probe-1")["headers"]["X-Request-ID"] == "probe-1"
    replaced = request(app, x_request_id="bad id\n")["headers"]["X-Request-ID"]
    assert replaced != "bad id\n" and len(replaced) == 32


@pytest.mark.parametrize(
    ("options", "status", "content_type"),
    [
        ({"query": "format=text"}, 200, "text/plain; charset=utf-8"),
        ({"accept": "text/html"}, 200, "text/html; charset=utf-8"),
        ({"method": "POST"}, 405, "application/problem+json"),
        ({"host": "evil.example.com"}, 400, "application/problem+json"),
        ({"path": "/ready"}, None, None),
    ],
)
def test_anything_but_a_plain_probe_is_answered_by_django(
    django_app, options, status, content_type
):
    answer = request(LivenessMiddleware(django_app), **options)

    assert django_app.calls == 1
    if status is not None:
        assert answer["status"] == status
        assert answer["headers"]["Content-Type"] == content_type


def test_a_settings_change_reaches_the_probes_headers_and_host_check(django_app, settings):
    app = LivenessMiddleware(django_app)
    assert request(app)["headers"]["X-Frame-Options"] == "DENY"
    assert request(app, host="api.example.com")["status"] == 400  # Django: DisallowedHost

    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    settings.ALLOWED_HOSTS = ["localhost", "api.example.com"]

    assert request(app)["headers"]["X-Frame-Options"] == "SAMEORIGIN"
    calls = django_app.calls
    assert request(app, host="api.example.com")["status"] == 200
    assert django_app.calls == calls  # now a plain probe, answered before Django


def test_the_expires_header_is_the_current_http_date(django_app):
    from email.utils import parsedate_to_datetime

    before = time.time()
    expires = parsedate_to_datetime(request(LivenessMiddleware(django_app))["headers"]["Expires"])
    assert before - 1 <= expires.timestamp() <= time.time()
