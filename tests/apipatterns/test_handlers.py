"""apipatterns.handlers: the exception → problem mapping in DRF views, decorators and handlers."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.signals import got_request_exception
from django.db import connection, connections
from django.test import Client

from tests.apipatterns.conftest import problem
from tests.apitest import views
from tests.apitest.models import Widget

pytestmark = [pytest.mark.urls("tests.apitest.urls"), pytest.mark.django_db]

LEAKS = ("SELECT", "apitest", "Widget", "hunter2", "Traceback", "RuntimeError", "exploded")


def assert_no_leak(response):
    text = response.content.decode()
    for word in LEAKS:
        assert word not in text, f"{word!r} leaked: {text}"


def test_validation_errors_have_nested_and_list_pointers(client):
    body = {
        "items": [{"email": "a@example.com", "quantity": 1}, {"email": "nope", "quantity": 0}],
        "tags": ["ok@example.com", "bad"],
        "counts": {"a/b~c": "x", "fine": 1},
    }
    response = client.post("/drf/orders", body, content_type="application/json")
    errors = problem(response, 400, "validation_error")["errors"]
    pointers = {(e["pointer"], e["code"]) for e in errors}
    assert pointers == {
        ("#/customer", "required"),
        ("#/items/1/email", "invalid"),
        ("#/items/1/quantity", "min_value"),
        ("#/tags/1", "invalid"),
        ("#/counts/a~1b~0c", "invalid"),
    }


def test_non_field_errors_point_at_the_object(client):
    body = {"customer": "nobody", "items": []}
    response = client.post("/drf/orders", body, content_type="application/json")
    errors = problem(response, 400, "validation_error")["errors"]
    assert errors == [
        {"code": "no_customer", "detail": "Orders need a real customer.", "pointer": "#"}
    ]


def test_hand_built_error_response_is_still_a_problem(client):
    response = client.post("/drf/hand-built-error", {}, content_type="application/json")
    errors = problem(response, 400, "validation_error")["errors"]
    assert {e["pointer"] for e in errors} == {"#/customer", "#/items"}


def test_model_clean_validation_error_is_400_with_pointers(client):
    response = client.post(
        "/drf/clean-widget", {"name": "xray", "quantity": -1}, content_type="application/json"
    )
    errors = problem(response, 400, "validation_error")["errors"]
    assert {
        "code": "negative",
        "detail": "Quantity cannot be negative.",
        "pointer": "#/quantity",
    } in errors
    assert {"code": "bad_name", "detail": "Names cannot start with x.", "pointer": "#"} in errors
    assert not Widget.objects.exists()


def test_unknown_object_is_404_without_model_name(client):
    response = client.get("/drf/widgets/12345")
    problem(response, 404, "not_found")
    assert_no_leak(response)


def test_method_not_allowed_keeps_allow_header(client):
    response = client.delete("/drf/ping")
    problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_duplicate_create_is_409_conflict_and_rolled_back(client):
    Widget.objects.create(name="dup-name")
    response = client.post("/drf/duplicate", {"name": "dup-name"}, content_type="application/json")
    problem(response, 409, "conflict")
    assert_no_leak(response)
    # The first insert in the same atomic block was rolled back with the failing one.
    assert not Widget.objects.filter(name="first-of-two").exists()


@pytest.mark.django_db(transaction=True)
def test_integrity_error_from_the_database_is_409(client):
    # Autocommit, as in production without ATOMIC_REQUESTS: the failed INSERT is its own
    # statement and is rolled back by the database.
    Widget.objects.create(name="taken")
    response = client.post("/drf/widgets", {"name": "taken"}, content_type="application/json")
    problem(response, 409, "conflict")
    assert Widget.objects.filter(name="taken").count() == 1


@pytest.mark.postgres_only  # a real race needs concurrent writers (SQLite locks the database)
@pytest.mark.django_db(transaction=True)
def test_duplicate_create_race_gives_one_201_and_one_409():
    assert connection.vendor == "postgresql"
    views.race_barrier = threading.Barrier(2)
    results: list[int] = []

    def create():
        try:
            response = Client(raise_request_exception=False).post(
                "/drf/widgets-race", {"name": "racer"}, content_type="application/json"
            )
            results.append(response.status_code)
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
    finally:
        views.race_barrier = None
    assert sorted(results) == [201, 409]
    assert Widget.objects.filter(name="racer").count() == 1


def test_unexpected_error_is_500_leaks_nothing_and_rolls_back(client, settings):
    settings.DEBUG = False
    received = []

    def receiver(sender, request, **kwargs):
        received.append(request.path)

    got_request_exception.connect(receiver)
    try:
        response = client.post("/drf/boom", {}, content_type="application/json")
    finally:
        got_request_exception.disconnect(receiver)
    body = problem(response, 500, "internal_error")
    assert body["errors"] == []
    assert_no_leak(response)
    assert received == ["/drf/boom"]
    assert not Widget.objects.filter(name="boom-atomic").exists()


@pytest.mark.django_db(transaction=True)
def test_500_with_atomic_requests_rolls_back_the_whole_request(client, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    response = client.post("/drf/boom-atomic-requests", {}, content_type="application/json")
    problem(response, 500, "internal_error")
    assert_no_leak(response)
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", False)
    assert not Widget.objects.filter(name="boom-request").exists()


def test_unexpected_error_is_logged_with_request_id(client, log_output):
    stream = log_output("json")
    response = client.post(
        "/drf/boom", {}, content_type="application/json", HTTP_X_REQUEST_ID="req-boom-1"
    )
    problem(response, 500, "internal_error")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    errors = [r for r in records if r["logger"] == "django.request" and r["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "req-boom-1"
    assert "RuntimeError" in errors[0]["exc_info"]


def test_test_client_still_sees_the_exception():
    # got_request_exception is sent, so Django's test client re-raises as it does for Django's
    # own 500s: tests of other apps do not silently get a 500.
    with pytest.raises(RuntimeError):
        Client().post("/drf/boom", {}, content_type="application/json")


@pytest.mark.parametrize(
    ("kind", "status", "code", "retry_after"),
    [
        ("timeout", 504, "upstream_timeout", None),
        ("deadline", 504, "upstream_timeout", None),
        ("connection", 503, "upstream_unavailable", None),
        ("unavailable", 503, "upstream_unavailable", "3"),
        ("circuit", 503, "upstream_unavailable", "8"),
        ("http", 502, "upstream_error", None),
        ("json", 502, "upstream_error", None),
    ],
)
def test_upstream_errors_map_to_502_503_504(client, kind, status, code, retry_after):
    response = client.get(f"/drf/upstream/{kind}")
    problem(response, status, code)
    assert response.get("Retry-After") == retry_after
    assert "Traceback" not in response.content.decode()
    assert "<html>" not in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("missing", 404, "not_found"),
        ("denied", 403, "permission_denied"),
        ("clean", 400, "validation_error"),
        ("integrity", 409, "conflict"),
        ("upstream", 503, "upstream_unavailable"),
        ("drf", 409, "conflict"),
        ("boom", 500, "internal_error"),
    ],
)
def test_handle_exceptions_decorator_on_a_plain_view(client, kind, status, code):
    response = client.get(f"/plain/decorated/{kind}")
    body = problem(response, status, code)
    assert_no_leak(response)
    if kind == "clean":
        assert {e["pointer"] for e in body["errors"]} == {"#", "#/quantity"}
    if kind == "integrity":
        assert not Widget.objects.filter(name="dup").exists()


def test_handle_exceptions_decorator_on_a_drf_method(client):
    response = client.get("/drf/decorated")
    problem(response, 409, "conflict")
    assert_no_leak(response)


def test_decorator_passes_normal_responses_through(client):
    response = client.get("/plain/decorated/fine")
    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True}


def test_messages_are_translated_codes_are_not(client):
    response = client.get("/drf/widgets/999", HTTP_ACCEPT_LANGUAGE="de")
    english = problem(client.get("/drf/widgets/999"), 404, "not_found")
    with_settings = problem(response, 404, "not_found")
    assert with_settings["code"] == english["code"]


def test_database_unavailable_is_a_503_the_client_may_retry(caplog):
    """Found by the fault tests: a stopped PostgreSQL answered 500 internal_error."""
    from django.db import InterfaceError, OperationalError

    from apipatterns.handlers import DATABASE_RETRY_AFTER, problem_for_exception

    for exc in (OperationalError("connection refused"), InterfaceError("connection closed")):
        problem, headers = problem_for_exception(exc)
        assert (problem["status"], problem["code"]) == (503, "service_unavailable")
        assert "refused" not in problem["detail"] and "closed" not in problem["detail"]
        assert headers["Retry-After"] == str(DATABASE_RETRY_AFTER)
    assert "Database unavailable" in caplog.text


# --- DRF APIExceptions that bring no documented code (drf-standardized-errors' scenarios) ----


@pytest.fixture
def signals_sent():
    received = []

    def receiver(sender, request, **kwargs):
        received.append(request.path)

    got_request_exception.connect(receiver)
    yield received
    got_request_exception.disconnect(receiver)


def test_bare_api_exception_is_a_500_internal_error_that_is_reported(client, signals_sent):
    response = client.get("/drf/raises/bare")
    body = problem(response, 500, "internal_error")
    assert body["errors"] == []
    assert signals_sent == ["/drf/raises/bare"]


def test_api_exception_with_its_own_message_keeps_it_and_gets_the_status_code(client):
    body = problem(client.get("/drf/raises/bare-message"), 500, "internal_error")
    assert body["detail"] == "Something specific failed."


def test_api_exception_with_a_dict_detail_has_items_and_a_documented_code(client):
    body = problem(client.get("/drf/raises/dict"), 500, "internal_error")
    assert body["errors"] == [{"code": "invalid", "detail": "Bad name.", "pointer": "#/name"}]


def test_exception_with_a_list_detail_keeps_its_code_and_lists_the_messages(client):
    body = problem(client.get("/drf/raises/list-403"), 403, "permission_denied")
    assert [item["detail"] for item in body["errors"]] == ["one", "two"]


def test_custom_5xx_exception_keeps_its_code_and_detail_and_is_reported(client, signals_sent):
    body = problem(client.get("/drf/raises/custom-503"), 503, "service_unavailable")
    assert body["detail"] == "Service temporarily unavailable, try again later."
    assert signals_sent == ["/drf/raises/custom-503"]


def test_5xx_api_exception_is_logged_with_its_traceback_and_request_id(client, log_output):
    stream = log_output("json")
    response = client.get("/drf/raises/custom-503", HTTP_X_REQUEST_ID="req-503-1")
    problem(response, 503, "service_unavailable")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    errors = [r for r in records if r["logger"] == "django.request" and r["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == "req-503-1"
    assert "ServiceUnavailable" in errors[0]["exc_info"]
    assert "Traceback" in errors[0]["exc_info"]


def test_client_errors_send_no_request_exception_signal(client, signals_sent):
    problem(client.get("/drf/raises/list-403"), 403, "permission_denied")
    problem(client.get("/drf/raises/auth"), 401, "authentication_failed")
    assert signals_sent == []


def test_a_status_with_no_listed_code_gets_its_phrase_as_code(client):
    body = problem(client.get("/drf/raises/teapot"), 418, "im_a_teapot")
    assert body["detail"] == "No coffee here."


def test_authentication_failure_carries_www_authenticate(client):
    response = client.get("/drf/raises/auth")
    problem(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Basic realm="api"'


def test_a_validation_error_with_999_items_lists_them_all(client):
    body = problem(client.get("/drf/raises/many-items"), 400, "validation_error")
    assert len(body["errors"]) == 999
    assert body["errors"][998] == {
        "code": "invalid",
        "detail": "Some Error",
        "pointer": "#/998/field",
    }
