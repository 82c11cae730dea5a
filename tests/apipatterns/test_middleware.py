"""apipatterns.middleware: problem+json outside DRF, and the request log line."""

from __future__ import annotations

import inspect
import json
import logging

import pytest
from django.conf import settings as django_settings

from apipatterns import middleware
from tests.apipatterns.conftest import problem

pytestmark = pytest.mark.django_db

EXPLODING = [
    *django_settings.MIDDLEWARE,
    "tests.apitest.middleware.ExplodingMiddleware",
]


@pytest.fixture(params=["tests.apitest.urls", "tests.apitest.urls_bare"])
def urlconf(request, settings):
    """With the suite's handler404/500 and without them: the middleware alone must suffice."""
    settings.ROOT_URLCONF = request.param
    return request.param


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_url_is_a_404_problem(client, urlconf, settings, debug):
    settings.DEBUG = debug
    response = client.get("/no/such/url")
    problem(response, 404, "not_found")


def test_http404_in_plain_view(client, urlconf):
    response = client.get("/plain/404")
    problem(response, 404, "not_found")
    assert "Widget" not in response.content.decode()


def test_permission_denied_in_plain_view(client, urlconf):
    response = client.get("/plain/denied")
    problem(response, 403, "permission_denied")
    assert "secret" not in response.content.decode()


def test_500_in_plain_view(client, urlconf):
    response = client.get("/plain/boom")
    problem(response, 500, "internal_error")
    assert "SELECT" not in response.content.decode()


def test_exception_raised_in_middleware(client, urlconf, settings):
    settings.MIDDLEWARE = EXPLODING
    response = client.get("/explode-in-middleware")
    body = problem(response, 500, "internal_error")
    assert "hunter2" not in json.dumps(body) and "SELECT" not in json.dumps(body)


def test_method_not_allowed_from_django(client, urlconf):
    response = client.get("/plain/post-only")
    problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


def test_body_over_limit_in_plain_view_is_413(client, urlconf, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post("/plain/body", "x" * 101, content_type="application/octet-stream")
    problem(response, 413, "payload_too_large")


def test_json_responses_of_plain_views_are_left_alone(client, urlconf):
    response = client.get("/plain/json")
    assert response.status_code == 418
    assert json.loads(response.content) == {"error": "own format"}


def test_csrf_failure_is_a_problem(settings, urlconf):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = csrf_client.post("/plain/post-only", {"a": "b"})
    problem(response, 403, "permission_denied")


@pytest.mark.urls("tests.apitest.urls")
def test_one_log_line_per_request_with_fields(client, log_output):
    stream = log_output("json")
    client.get("/drf/ping", HTTP_X_REQUEST_ID="log-req-1")
    client.get("/no/such/url", HTTP_X_REQUEST_ID="log-req-2")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    lines = [r for r in records if r["logger"] == "apipatterns.requests"]
    assert len(lines) == 2
    first, second = lines
    assert first["method"] == "GET" and first["path"] == "/drf/ping"
    assert first["status"] == 200 and first["level"] == "INFO"
    assert first["request_id"] == "log-req-1"
    assert first["user_id"] == "anonymous"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert first["bytes"] > 0 and first["remote_addr"] == "127.0.0.1"
    assert second["status"] == 404 and second["level"] == "WARNING"
    assert second["request_id"] == "log-req-2"


@pytest.mark.urls("tests.apitest.urls")
def test_no_log_line_without_request_id(client, log_output):
    stream = log_output("json")
    client.get("/no/such/url")
    client.post("/drf/orders", "{bad", content_type="application/json")
    client.get("/plain/boom")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert records
    assert all(r["request_id"] != "-" for r in records), records
    # The 500 is still logged with its traceback, once.
    tracebacks = [r for r in records if r.get("exc_info")]
    assert len(tracebacks) == 1 and "ValueError" in tracebacks[0]["exc_info"]


@pytest.mark.urls("tests.apitest.urls")
def test_log_line_has_authenticated_user_id(client, log_output, django_user_model):
    # Works with any user model (the suite's is accounts.User, keyed on email).
    login = {django_user_model.USERNAME_FIELD: "logme@example.com"}
    user = django_user_model.objects.create_user(**login, password="pw-123456789")
    client.force_login(user)
    stream = log_output("json")
    client.get("/drf/cookie-ping")  # a view that accepts cookie sessions
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    line = next(r for r in records if r["logger"] == "apipatterns.requests")
    assert line["user_id"] == str(user.pk)


@pytest.mark.urls("tests.apitest.urls")
def test_log_line_does_not_query_for_the_user(client, django_assert_num_queries, log_output):
    log_output("text")
    with django_assert_num_queries(0):
        client.get("/plain/envelopes")


@pytest.mark.urls("tests.apitest.urls")
def test_text_log_line_format(client, log_output):
    stream = log_output("text")
    client.get("/drf/ping?token=secret", HTTP_X_REQUEST_ID="text-req")
    line = next(line for line in stream.getvalue().splitlines() if "apipatterns.requests" in line)
    assert "[text-req] GET /drf/ping 200" in line
    assert "ms user=anonymous" in line
    assert "secret" not in line


@pytest.mark.urls("tests.apitest.urls")
def test_log_record_names_the_middleware_and_uses_the_record_factory(client, log_output):
    # The line goes through logger.log(): the caller fields are the middleware's own, and a
    # custom record factory is used.
    log_output("text")
    made = []
    default_factory = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = default_factory(*args, **kwargs)
        made.append(record)
        return record

    logging.setLogRecordFactory(factory)
    try:
        client.get("/drf/ping")
    finally:
        logging.setLogRecordFactory(default_factory)
    record = next(r for r in made if r.name == "apipatterns.requests")
    assert record.pathname == middleware.__file__
    assert (record.filename, record.module) == ("middleware.py", "middleware")
    assert record.funcName == "__call__"
    source = inspect.getsource(middleware.RequestLogMiddleware.__call__)
    first = middleware.RequestLogMiddleware.__call__.__code__.co_firstlineno
    assert first < record.lineno < first + source.count("\n")
    assert (record.method, record.path, record.status) == ("GET", "/drf/ping", 200)


@pytest.mark.urls("tests.apitest.urls")
def test_log_line_bytes_is_the_body_length(client, log_output):
    stream = log_output("json")
    response = client.get("/drf/ping")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    line = next(r for r in records if r["logger"] == "apipatterns.requests")
    assert line["bytes"] == len(response.content)


def test_request_log_goes_through_the_public_logging_api():
    # Issue 16: no Logger.makeRecord shortcut and no frame walking of our own on the hot path.
    source = inspect.getsource(middleware)
    assert "makeRecord" not in source
    assert "_getframe" not in source
