"""apipatterns.wsgi: chunked request bodies reach the application whole, within the limit.

The wrapper is exercised here with WSGI environs as a server builds them; the end-to-end tests
send real chunked requests to the services under gunicorn (tests/services/test_e2e.py).
"""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest

from apipatterns.wsgi import ChunkedBodyMiddleware
from tests.apipatterns.conftest import problem

pytestmark = pytest.mark.urls("tests.apitest.urls")


def echo_app(environ, start_response):
    """Answers with the body it reads the way Django does: exactly CONTENT_LENGTH bytes."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def call(app, body: bytes, *, terminated: bool = True, headers: dict | None = None):
    environ: dict = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/upload",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        **(headers or {}),
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    setup_testing_defaults(environ)
    answer: dict = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = dict(response_headers)

    result = app(environ, start_response)
    try:
        answer["body"] = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return answer


def test_a_chunked_body_reaches_the_application_whole():
    body = json.dumps({"title": "Printer on fire"}).encode()
    answer = call(ChunkedBodyMiddleware(echo_app), body)
    assert answer["status"] == 200
    assert answer["body"] == body


def test_a_body_larger_than_memory_is_spooled_and_still_whole(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.API_MAX_CHUNKED_BODY_SIZE = 500_000
    body = bytes(range(256)) * 1000  # 256,000 bytes, past the in-memory size
    assert call(ChunkedBodyMiddleware(echo_app), body)["body"] == body


def test_a_chunked_body_over_the_limit_is_a_413_problem_that_closes_the_connection(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    answer = call(
        ChunkedBodyMiddleware(echo_app), b"x" * 1001, headers={"HTTP_X_REQUEST_ID": "req-413"}
    )
    assert answer["status"] == 413
    assert answer["headers"]["Content-Type"] == "application/problem+json"
    assert answer["headers"]["Connection"] == "close"
    assert answer["headers"]["X-Request-ID"] == "req-413"
    body = json.loads(answer["body"])
    assert (body["code"], body["request_id"]) == ("payload_too_large", "req-413")


def test_the_limit_is_the_chunked_setting_when_a_service_sets_one(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.API_MAX_CHUNKED_BODY_SIZE = 5000
    assert call(ChunkedBodyMiddleware(echo_app), b"x" * 4000)["status"] == 200
    assert call(ChunkedBodyMiddleware(echo_app), b"x" * 5001)["status"] == 413


def test_a_server_that_cannot_end_the_body_gets_a_411_not_an_empty_body():
    answer = call(ChunkedBodyMiddleware(echo_app), b'{"a": 1}', terminated=False)
    assert answer["status"] == 411
    assert json.loads(answer["body"])["code"] == "length_required"


def test_a_request_with_a_length_is_passed_through_untouched():
    app = ChunkedBodyMiddleware(echo_app)
    answer = call(app, b"abc", headers={"HTTP_TRANSFER_ENCODING": "", "CONTENT_LENGTH": "3"})
    assert answer == {"status": 200, "headers": answer["headers"], "body": b"abc"}


def test_chunked_request_reaching_django_without_the_wrapper_is_a_411(client):
    # runserver, or a wsgi.py without the wrapper: Django would read this body as empty.
    response = client.post(
        "/drf/ping",
        b'{"a": 1}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",  # as a server passes a chunked body: no length
    )
    body = problem(response, 411, "length_required")
    assert "Content-Length" in body["detail"]
