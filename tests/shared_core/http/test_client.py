"""shared_core.http.HTTPClient against real local HTTP servers (no mocks).

The twelve numbered tests of issue 4 are marked ``# Issue test N``. Timeouts and backoffs are
small constructor arguments so the file runs in seconds; the only time bounds asserted are the
ones the issue asks for, with generous margins for a busy machine.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from django.test import override_settings
from werkzeug import Request, Response

from shared_core.http import (
    CircuitBreaker,
    CircuitOpenError,
    DeadlineExceededError,
    HTTPClient,
    IncompleteResponseError,
    InvalidJSONError,
    ServiceConnectionError,
    ServiceConnectTimeoutError,
    ServiceError,
    ServiceHTTPError,
    ServiceReadTimeoutError,
    ServiceTimeoutError,
    ServiceUnavailableError,
    reset_circuit_breakers,
)
from shared_core.http.policy import CLOSED
from shared_core.request_id import request_id_context
from tests.shared_core.http_servers import (
    close_without_answer,
    drip,
    http_date,
    refused_url,
    reply,
    scripted_server,
    truncated,
)

__all__ = ["refused_url", "scripted_server"]  # fixtures imported for pytest

TOKEN = "s3cr3t-service-token-0123456789"


@pytest.fixture(autouse=True)
def _fresh_breakers() -> Iterator[None]:
    reset_circuit_breakers()
    yield
    reset_circuit_breakers()


def make_client(url: str, **kwargs) -> HTTPClient:
    """A client with test-sized timeouts and backoff, no breaker unless asked."""
    kwargs.setdefault("timeout", (1.0, 2.0))
    kwargs.setdefault("deadline", 10.0)
    kwargs.setdefault("retries", 2)
    kwargs.setdefault("backoff_factor", 0.02)
    kwargs.setdefault("backoff_max", 0.1)
    kwargs.setdefault("circuit_breaker", False)
    return HTTPClient(url, **kwargs)


def json_lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def attempt_lines(stream) -> list[dict]:
    return [line for line in json_lines(stream) if line.get("logger") == "shared_core.http.client"]


# --- 1. connection refused -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_connection_refused_is_retried_for_any_method_then_raises(refused_url, log_output, method):
    """Issue test 1: nothing was sent, so GET and POST (no key) are both retried N times."""
    stream = log_output("json")
    client = make_client(refused_url, retries=3, deadline=5.0)
    started = time.monotonic()
    with pytest.raises(ServiceConnectionError) as caught:
        client.request(method, "things")
    elapsed = time.monotonic() - started

    error = caught.value
    assert not isinstance(error, IncompleteResponseError)
    assert error.request_sent is False
    assert error.attempts == 4
    assert error.method == method
    assert elapsed < 5.0  # within the deadline
    lines = attempt_lines(stream)
    assert [line["attempt"] for line in lines] == [1, 2, 3, 4]
    assert {line["outcome"] for line in lines} == {"connect_error"}
    assert [line["will_retry"] for line in lines] == [True, True, True, False]


# --- 2. slower than the read timeout ----------------------------------------------------------


def test_read_timeout_get_is_retried_post_without_key_sent_once(scripted_server):
    """Issue test 2: a read timeout is a timeout (not a connection error); only GET retries."""
    server = scripted_server(lambda request: reply(200, b"{}", delay=1.0))
    client = make_client(server.url, timeout=(1.0, 0.3), retries=2)

    with pytest.raises(ServiceReadTimeoutError) as caught:
        client.get("slow")
    assert isinstance(caught.value, ServiceTimeoutError)
    assert not isinstance(caught.value, ServiceConnectionError)
    assert caught.value.attempts == 3
    assert [r.method for r in server.requests] == ["GET"] * 3

    with pytest.raises(ServiceReadTimeoutError) as caught:
        client.post("slow", json={"a": 1})
    assert caught.value.attempts == 1
    assert [r.method for r in server.requests].count("POST") == 1


# --- 3. POST with an Idempotency-Key ----------------------------------------------------------


def test_post_with_key_is_retried_with_the_same_key(scripted_server):
    """Issue test 3."""
    server = scripted_server(
        lambda request: reply(503, b"{}") if request.index < 2 else reply(201, b'{"id": 7}')
    )
    client = make_client(server.url, retries=3)
    assert client.post_json("orders", {"n": 1}, idempotency_key="order-42") == {"id": 7}
    assert len(server.requests) == 3
    assert {r.headers["idempotency-key"] for r in server.requests} == {"order-42"}
    assert {r.body for r in server.requests} == {b'{"n": 1}'}


def test_generated_key_is_the_same_on_every_attempt(scripted_server):
    server = scripted_server(
        lambda request: reply(502, b"{}") if request.index < 2 else reply(200, b"{}")
    )
    make_client(server.url).patch("orders/1", json={}, idempotency_key=True)
    keys = [r.headers.get("idempotency-key") for r in server.requests]
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1


def test_post_without_key_is_not_retried_on_503(scripted_server):
    server = scripted_server(lambda request: reply(503, b'{"detail": "busy"}'))
    with pytest.raises(ServiceUnavailableError) as caught:
        make_client(server.url, retries=3).post("orders", json={})
    assert caught.value.status == 503
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


# --- 4./5./6. Retry-After ---------------------------------------------------------------------


def test_retry_after_seconds_is_honoured(scripted_server):
    """Issue test 4: the second attempt arrives >= 1 s after the first (server-side clock)."""
    server = scripted_server(
        lambda request: (
            reply(503, b"{}", {"Retry-After": "1"})
            if request.index == 0
            else reply(200, b'{"ok": true}')
        )
    )
    assert make_client(server.url, retries=1).get_json("status") == {"ok": True}
    first, second = server.requests
    assert second.at - first.at >= 1.0


def test_retry_after_beyond_the_deadline_fails_at_once(scripted_server):
    """Issue test 5: Retry-After 3600 with a 2 s deadline fails in <= 2 s, retry_after kept."""
    server = scripted_server(lambda request: reply(503, b"{}", {"Retry-After": "3600"}))
    client = make_client(server.url, retries=3, deadline=2.0)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailableError) as caught:
        client.get("status")
    assert time.monotonic() - started <= 2.0
    assert caught.value.retry_after == 3600
    assert caught.value.status == 503
    assert len(server.requests) == 1


def test_429_with_http_date_retry_after_is_honoured(scripted_server):
    """Issue test 6, first half: an HTTP-date Retry-After (>= 2 s ahead) is waited for."""

    def script(request):
        if request.index == 0:
            # Computed when the request arrives, so a slow client start cannot eat the margin:
            # a whole second (HTTP dates have no fractions), at least 2 s after this request.
            retry_at = http_date(2.001 + (1 - time.time() % 1))
            return reply(429, b"{}", {"Retry-After": retry_at})
        return reply(200, b"{}")

    server = scripted_server(script)
    make_client(server.url, retries=1, backoff_factor=0.01).get("limited")
    first, second = server.requests
    # Without honouring the date the retry would come ~10 ms later.
    assert second.at - first.at >= 1.5


@pytest.mark.parametrize("value", ["-1", "+1", "1.0", "soon"])
def test_unreadable_retry_after_is_ignored_and_our_backoff_applies(scripted_server, value):
    """urllib3's invalid Retry-After values: we neither crash nor wait on them."""
    server = scripted_server(
        lambda request: (
            reply(503, b"{}", {"Retry-After": value}) if request.index == 0 else reply(200, b"{}")
        )
    )
    assert make_client(server.url, retries=1).get_json("x") == {}
    first, second = server.requests
    assert second.at - first.at < 0.5


def test_an_enormous_retry_after_fails_at_once_with_urllib3s_cap(scripted_server):
    server = scripted_server(lambda request: reply(503, b"{}", {"Retry-After": "9" * 400}))
    with pytest.raises(ServiceUnavailableError) as caught:
        make_client(server.url, retries=3).get("x")
    assert caught.value.retry_after == 21600  # urllib3's Retry.retry_after_max
    assert len(server.requests) == 1


@pytest.mark.parametrize("value", ["0", "\t0 ", http_date(-60)])
def test_retry_after_now_or_in_the_past_retries_at_once(scripted_server, value):
    server = scripted_server(
        lambda request: (
            reply(429, b"{}", {"Retry-After": value}) if request.index == 0 else reply(200, b"{}")
        )
    )
    assert make_client(server.url, retries=1, backoff_factor=5).get_json("x") == {}
    first, second = server.requests
    assert second.at - first.at < 0.5


def test_429_without_retry_after_waits_randomised_backoff(scripted_server):
    """Issue test 6, second half: gaps are exponential backoff with jitter, not a constant."""
    server = scripted_server(
        lambda request: reply(429, b"{}") if request.index % 2 == 0 else reply(200, b"{}")
    )
    client = make_client(server.url, retries=1, backoff_factor=0.3, backoff_max=5)
    for _ in range(6):
        client.get("limited")
    arrivals = [r.at for r in server.requests]
    gaps = [arrivals[i + 1] - arrivals[i] for i in range(0, len(arrivals), 2)]
    # First retry: cap 0.3 s, equal jitter -> uniform in [0.15, 0.3] s.
    assert all(gap >= 0.14 for gap in gaps)
    assert max(gaps) - min(gaps) > 0.01


@pytest.mark.parametrize("retry", [1_025, 10_000, 10**9])
def test_backoff_for_any_attempt_number_is_the_cap(retry):
    client = make_client("http://127.0.0.1:9/", backoff_factor=0.5, backoff_max=3)
    assert all(1.5 <= client.backoff(retry) <= 3.0 for _ in range(50))


def test_backoff_with_a_tiny_factor_still_grows_to_the_cap():
    client = make_client("http://127.0.0.1:9/", backoff_factor=1e-300, backoff_max=2)
    assert client.backoff(900) < 1e-20
    assert client.backoff(2_000) >= 1.0


def test_zero_backoff_never_waits():
    """urllib3's test_zero_backoff: factor 0 means no wait, whatever the attempt."""
    client = make_client("http://127.0.0.1:9/", backoff_factor=0, backoff_max=10)
    assert {client.backoff(n) for n in (1, 2, 50, 10**6)} == {0.0}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backoff_factor": -1},
        {"backoff_max": -1},
        {"backoff_factor": float("inf")},
        {"backoff_max": float("inf")},
        {"backoff_factor": float("nan")},
    ],
)
def test_backoff_settings_must_be_finite_and_not_negative(kwargs):
    with pytest.raises(ValueError, match="finite"):
        make_client("http://127.0.0.1:9/", **kwargs)


def test_backoff_is_exponential_capped_and_jittered():
    client = make_client("http://127.0.0.1:9/", backoff_factor=0.5, backoff_max=3)
    for retry, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        samples = [client.backoff(retry) for _ in range(200)]
        assert all(cap / 2 <= s <= cap for s in samples)
        assert len(set(samples)) > 150


# --- 7./8./9. broken connections and bodies ---------------------------------------------------


def test_connection_closed_without_answer(scripted_server):
    """Issue test 7: GET recovers on the next attempt; POST is not re-sent."""
    server = scripted_server(
        lambda request: (
            close_without_answer() if request.index in (0, 2) else reply(200, b'{"id": 1}')
        )
    )
    client = make_client(server.url)
    assert client.get_json("items/1") == {"id": 1}
    assert len(server.requests) == 2

    with pytest.raises(IncompleteResponseError) as caught:
        client.post("items", json={"a": 1})
    assert caught.value.request_sent is True
    assert isinstance(caught.value, ServiceConnectionError)
    assert [r.method for r in server.requests] == ["GET", "GET", "POST"]


def test_truncated_body_is_an_error_never_a_short_result(scripted_server, log_output):
    """Issue test 8: Content-Length 1000, 10 bytes, close -> typed error; GET retried."""
    stream = log_output("json")
    server = scripted_server(lambda request: truncated(announced=1000, sent=10))
    with pytest.raises(IncompleteResponseError) as caught:
        make_client(server.url, retries=2).get("blob")
    assert caught.value.attempts == 3
    assert len(server.requests) == 3
    assert {line["outcome"] for line in attempt_lines(stream)} == {"incomplete_body"}


def test_truncated_body_then_full_body(scripted_server):
    body = json.dumps({"data": "y" * 990}).encode()
    server = scripted_server(
        lambda request: (
            truncated(announced=len(body), sent=10) if request.index == 0 else reply(200, body)
        )
    )
    response = make_client(server.url).get("blob")
    assert response.content == body
    assert len(server.requests) == 2


def test_truncated_body_post_without_key_is_not_resent(scripted_server):
    server = scripted_server(lambda request: truncated())
    with pytest.raises(IncompleteResponseError):
        make_client(server.url).post("blob", data=b"x")
    assert len(server.requests) == 1


def test_drip_fed_body_is_aborted_at_the_deadline(scripted_server):
    """Issue test 9: 1 byte / 0.2 s never trips a 1 s read timeout; the 2 s deadline does."""
    server = scripted_server(lambda request: drip(length=100, interval=0.2))
    client = make_client(server.url, timeout=(1.0, 1.0), deadline=2.0, retries=3)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError) as caught:
        client.get("drip")
    elapsed = time.monotonic() - started
    assert 1.8 <= elapsed < 4.0  # "about 2 s" (not the 20 s the body would take)
    assert isinstance(caught.value, ServiceTimeoutError)
    assert len(server.requests) == 1


def test_deadline_cuts_the_wait_for_headers(scripted_server):
    server = scripted_server(lambda request: reply(200, b"{}", delay=3.0))
    client = make_client(server.url, timeout=(1.0, 10.0), deadline=0.5)
    with pytest.raises(DeadlineExceededError):
        client.get("slow")
    assert len(server.requests) == 1


# --- 10. JSON helpers -------------------------------------------------------------------------


def test_get_json_rejects_html(httpserver):
    """Issue test 10 (a): 200 text/html raises InvalidJSONError with status and snippet."""
    httpserver.expect_request("/page").respond_with_data(
        "<html>login</html>", content_type="text/html"
    )
    with pytest.raises(InvalidJSONError) as caught:
        make_client(httpserver.url_for("/")).get_json("page")
    assert caught.value.status == 200
    assert "<html>login" in caught.value.body_snippet


def test_get_json_rejects_a_json_content_type_with_a_broken_body(httpserver):
    httpserver.expect_request("/broken").respond_with_data(
        '{"a": ', content_type="application/json"
    )
    with pytest.raises(InvalidJSONError):
        make_client(httpserver.url_for("/")).get_json("broken")


def test_get_json_204_returns_none_and_problem_json_parses(httpserver):
    """Issue test 10 (b)."""
    httpserver.expect_request("/empty", method="DELETE").respond_with_data("", status=204)
    httpserver.expect_request("/problem").respond_with_data(
        '{"a": 1}', content_type="application/problem+json"
    )
    client = make_client(httpserver.url_for("/"))
    assert client.delete_json("empty") is None
    assert client.get_json("problem") == {"a": 1}


def test_get_json_404_raises_http_error_with_body_and_downstream_id(httpserver):
    """Issue test 10 (c)."""
    httpserver.expect_request("/users/9").respond_with_json(
        {"detail": "No such user."}, status=404, headers={"X-Request-ID": "down-123"}
    )
    with pytest.raises(ServiceHTTPError) as caught:
        make_client(httpserver.url_for("/")).get_json("users/9")
    error = caught.value
    assert error.status == 404
    assert "No such user." in error.body_snippet
    assert error.downstream_request_id == "down-123"
    assert error.attempts == 1  # 4xx are not retried
    assert not isinstance(error, ServiceUnavailableError)
    assert len(httpserver.log) == 1


def test_raise_for_status_false_returns_the_error_response(httpserver):
    httpserver.expect_request("/gone").respond_with_data("bye", status=410)
    response = make_client(httpserver.url_for("/")).get("gone", raise_for_status=False)
    assert response.status_code == 410
    assert response.text == "bye"


def test_json_methods_send_json(httpserver):
    seen = []

    def handler(request: Request) -> Response:
        seen.append((request.method, request.get_json()))
        return Response(json.dumps({"echo": request.get_json()}), mimetype="application/json")

    httpserver.expect_request("/echo").respond_with_handler(handler)
    client = make_client(httpserver.url_for("/"))
    assert client.post_json("echo", {"a": 1}) == {"echo": {"a": 1}}
    assert client.put_json("echo", [1]) == {"echo": [1]}
    assert client.patch_json("echo", {"b": None}) == {"echo": {"b": None}}
    assert client.post_json("echo", json={"c": 3}) == {"echo": {"c": 3}}  # json= works too
    assert seen == [("POST", {"a": 1}), ("PUT", [1]), ("PATCH", {"b": None}), ("POST", {"c": 3})]
    with pytest.raises(TypeError):
        client.post_json("echo", {"a": 1}, json={"a": 2})


# --- 11. circuit breaker ----------------------------------------------------------------------


def test_circuit_breaker_opens_then_one_probe_closes_it(scripted_server):
    """Issue test 11."""
    healthy = threading.Event()
    server = scripted_server(
        lambda request: reply(200, b"{}") if healthy.is_set() else reply(500, b"{}")
    )
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=0.5)
    client = make_client(server.url, retries=0, circuit_breaker=breaker)

    for _ in range(3):
        with pytest.raises(ServiceHTTPError):
            client.get("x")
    with pytest.raises(CircuitOpenError) as caught:
        client.get("x")
    assert caught.value.attempts == 0
    assert 0 < caught.value.retry_after <= 0.5
    assert len(server.requests) == 3  # the open circuit made no call

    healthy.set()
    time.sleep(0.6)
    assert client.get("x").status_code == 200  # the probe
    assert breaker.state == CLOSED
    client.get("x")
    assert len(server.requests) == 5


def test_circuit_breaker_counts_connect_errors_not_4xx(refused_url, httpserver):
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=60)
    down = make_client(refused_url, retries=0, circuit_breaker=breaker)
    for _ in range(2):
        with pytest.raises(ServiceConnectionError):
            down.get("x")
    with pytest.raises(CircuitOpenError):
        down.get("x")

    httpserver.expect_request("/missing").respond_with_data("no", status=404)
    breaker_4xx = CircuitBreaker(failure_threshold=2, reset_timeout=60)
    up = make_client(httpserver.url_for("/"), retries=0, circuit_breaker=breaker_4xx)
    for _ in range(5):
        with pytest.raises(ServiceHTTPError):
            up.get("missing")
    assert breaker_4xx.state == CLOSED
    assert len(httpserver.log) == 5


def test_breaker_opening_mid_call_stops_retries_with_the_real_error(scripted_server):
    server = scripted_server(lambda request: reply(503, b"{}"))
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=60)
    with pytest.raises(ServiceUnavailableError) as caught:
        make_client(server.url, retries=5, circuit_breaker=breaker).get("x")
    assert caught.value.attempts == 2
    assert len(server.requests) == 2


def test_call_failing_after_the_breaker_opened_does_not_extend_the_open_window(scripted_server):
    """A slow call admitted while closed fails after fast calls opened the breaker."""
    server = scripted_server(
        lambda request: reply(503, b"{}", delay=0.8 if request.path.endswith("slow") else 0)
    )
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=10)
    client = make_client(server.url, retries=0, circuit_breaker=breaker)
    errors: list[BaseException] = []

    def slow_call() -> None:
        try:
            client.get("slow")
        except ServiceError as exc:
            errors.append(exc)

    slow = threading.Thread(target=slow_call)
    slow.start()
    time.sleep(0.2)
    with pytest.raises(ServiceUnavailableError):
        client.get("fast")  # opens the breaker
    opened = time.monotonic()
    slow.join()
    assert [type(e) for e in errors] == [ServiceUnavailableError]
    assert time.monotonic() - opened >= 0.4  # the slow call failed well after the opening
    wait = breaker.allow()
    assert wait is not None
    assert wait <= 10 - (time.monotonic() - opened) + 0.05  # the window was not restarted


def test_shared_breaker_is_per_host_and_from_settings(refused_url, httpserver):
    httpserver.expect_request("/ok").respond_with_json({})
    with override_settings(HTTP_CLIENT_BREAKER_FAILURES=1, HTTP_CLIENT_BREAKER_RESET=60):
        first = make_client(refused_url, retries=0, circuit_breaker=True)
        second = make_client(refused_url, retries=0, circuit_breaker=True)
        other_host = make_client(httpserver.url_for("/"), retries=0, circuit_breaker=True)
    assert first.circuit_breaker is second.circuit_breaker
    with pytest.raises(ServiceConnectionError):
        first.get("x")
    with pytest.raises(CircuitOpenError):
        second.get("x")  # a client built later sees the host's state
    assert other_host.get_json("ok") == {}


def test_breaker_does_not_serialise_calls(scripted_server):
    server = scripted_server(lambda request: reply(200, b"{}", delay=0.3))
    client = make_client(server.url, circuit_breaker=CircuitBreaker(5, 30))
    threads = [threading.Thread(target=client.get, args=("x",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(server.requests) == 4
    assert server.max_in_flight >= 2


# --- 12. threads, pool, request IDs, token ----------------------------------------------------


def test_50_threads_share_one_client(scripted_server, log_output):
    """Issue test 12: 50 threads x 100 GETs through one client with a pool of 10."""
    stream = log_output("json", level="DEBUG")
    server = scripted_server(lambda request: reply(200, b'{"ok": true}'))
    client = make_client(server.url, pool_maxsize=10, auth_token=TOKEN)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            with request_id_context(f"req-{number}"):
                for call in range(100):
                    assert client.get_json(f"items/{number}/{call}") == {"ok": True}
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(server.requests) == 5000
    assert 1 <= server.connections <= 10
    for request in server.requests:
        number = request.path.split("/")[2]
        assert request.headers["x-request-id"] == f"req-{number}"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
    output = stream.getvalue()
    assert "Connection pool is full" not in output
    assert TOKEN not in output
    lines = attempt_lines(stream)
    assert len(lines) == 5000
    assert {line["request_id"] for line in lines} == {f"req-{n}" for n in range(50)}


def test_waiting_for_a_pooled_connection_is_bounded_by_the_deadline(scripted_server):
    """With every pooled connection busy, a caller waits for one at most until its deadline."""
    server = scripted_server(lambda request: reply(200, b"{}", delay=1.5))
    client = make_client(server.url, pool_maxsize=1, timeout=(0.3, 5.0), retries=0)
    holder = threading.Thread(target=client.get, args=("slow",))
    holder.start()
    while not server.requests:
        time.sleep(0.01)
    with pytest.raises(DeadlineExceededError) as caught:
        client.get("second", deadline=0.5)
    holder.join()
    assert caught.value.request_sent is False
    assert [r.path for r in server.requests] == ["/slow"]


def test_time_spent_waiting_for_the_pool_counts_against_the_deadline(scripted_server):
    """urllib3 starts its ``total`` clock once it holds a connection: the wait must not add up.

    The second call waits ~2 s for the only connection, then meets a 5 s answer: with a 2.5 s
    deadline it must give up at ~2.5 s, not at 2 s + 2.5 s.
    """
    server = scripted_server(
        lambda request: reply(200, b"{}", delay=2.0 if request.path == "/first" else 5.0)
    )
    client = make_client(server.url, pool_maxsize=1, timeout=(1.0, 10.0), retries=0)
    holder = threading.Thread(target=client.get, args=("first",))
    holder.start()
    while not server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        client.get("second", deadline=2.5)
    elapsed = time.monotonic() - started
    holder.join()
    assert [r.path for r in server.requests] == ["/first", "/second"]
    assert elapsed < 3.5  # the deadline (2.5 s), not 4.5 s


# --- headers, auth, URLs, logging, settings ---------------------------------------------------


def test_token_request_id_and_user_agent_on_the_wire(scripted_server, settings):
    settings.SERVICE_NAME = "ticket-service"
    server = scripted_server(lambda request: reply(200, b"{}"))
    client = make_client(server.url)
    with override_settings(SERVICE_AUTH_TOKEN="from-settings"), request_id_context("abc-123"):
        client.get("a")
    with override_settings(SERVICE_AUTH_TOKEN="", AUTH_TOKEN="fallback-token"):
        client.get("b")
    with override_settings(SERVICE_AUTH_TOKEN=""):
        client.get("c")
    make_client(server.url, auth_token="explicit").get("d")

    a, b, c, d = server.requests
    assert a.headers["authorization"] == "Bearer from-settings"  # read at call time
    assert a.headers["x-request-id"] == "abc-123"
    assert a.headers["user-agent"].startswith("ticket-service ")
    assert b.headers["authorization"] == "Bearer fallback-token"
    assert "authorization" not in c.headers
    assert "x-request-id" not in c.headers  # outside a request nothing is invented
    assert d.headers["authorization"] == "Bearer explicit"


def test_netrc_never_replaces_the_bearer_token(scripted_server, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password hunter2\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server = scripted_server(lambda request: reply(200, b"{}"))
    make_client(server.url, auth_token=TOKEN).get("a")
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("http://user:8000/api/v1/", "users/42", "http://user:8000/api/v1/users/42"),
        ("http://user:8000/api/v1", "users/42", "http://user:8000/api/v1/users/42"),
        ("http://user:8000/api/v1/", "/users/42", "http://user:8000/api/v1/users/42"),
        ("http://user:8000", "health", "http://user:8000/health"),
        ("http://user:8000/api/", "users?page=2", "http://user:8000/api/users?page=2"),
        ("http://user:8000/api/", "", "http://user:8000/api/"),
    ],
)
def test_base_url_joining(base, path, expected):
    assert make_client(base).url_for(path) == expected


@pytest.mark.parametrize("path", ["http://evil.example/x", "//evil.example/x"])
def test_absolute_paths_are_refused(path):
    with pytest.raises(ValueError, match="relative"):
        make_client("http://user:8000/api/").url_for(path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"base_url": "user:8000/api"}, "absolute"),
        ({"base_url": "ftp://h/"}, "absolute"),
        ({"base_url": "http://a:b@h/"}, "credentials"),
        ({"base_url": "http://h/?x=1"}, "query"),
        ({"timeout": 0}, "positive"),
        ({"timeout": (1, None)}, "read timeout"),
        ({"deadline": -1}, "positive"),
        ({"retries": -1}, "retries"),
        ({"pool_maxsize": 0}, "pool_maxsize"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    base = kwargs.pop("base_url", "http://h/")
    with pytest.raises(ValueError, match=match):
        make_client(base, **kwargs)


def test_defaults_come_from_settings():
    with override_settings(
        HTTP_CLIENT_CONNECT_TIMEOUT=1.5,
        HTTP_CLIENT_READ_TIMEOUT=4,
        HTTP_CLIENT_DEADLINE=9,
        HTTP_CLIENT_RETRIES=0,
        HTTP_CLIENT_BACKOFF_FACTOR=0.25,
        HTTP_CLIENT_BACKOFF_MAX=2,
        HTTP_CLIENT_POOL_MAXSIZE=7,
    ):
        client = HTTPClient("http://h/", circuit_breaker=False)
    assert (client.connect_timeout, client.read_timeout, client.deadline) == (1.5, 4.0, 9.0)
    assert (client.retries, client.backoff_factor, client.backoff_max) == (0, 0.25, 2.0)
    assert client.pool_maxsize == 7


def test_one_structured_log_line_per_attempt_without_query_or_token(scripted_server, log_output):
    stream = log_output("json")
    server = scripted_server(
        lambda request: reply(503, b"{}") if request.index == 0 else reply(200, b"{}")
    )
    client = make_client(server.url, auth_token=TOKEN)
    with request_id_context("trace-9"):
        client.get("users/42", params={"access_token": "qs-secret", "page": 2})
    first, second = attempt_lines(stream)
    assert first["method"] == "GET" and first["path"] == "/users/42"
    assert (first["status"], first["attempt"], first["outcome"]) == (503, 1, "server_error")
    assert first["will_retry"] is True and first["level"] == "WARNING"
    assert (second["status"], second["attempt"], second["outcome"]) == (200, 2, "ok")
    assert second["request_id"] == "trace-9"
    assert isinstance(second["duration_ms"], float)
    output = stream.getvalue()
    assert "qs-secret" not in output and TOKEN not in output
    assert server.requests[0].path == "/users/42?access_token=qs-secret&page=2"


def test_errors_redact_query_secrets(refused_url):
    with pytest.raises(ServiceConnectionError) as caught:
        make_client(refused_url, retries=0).get("x", params={"token": "qs-secret"})
    assert "qs-secret" not in str(caught.value)
    assert "qs-secret" not in caught.value.url


def test_environment_proxy_is_read_when_the_client_is_built(scripted_server, monkeypatch):
    proxy = scripted_server(lambda request: reply(200, b"{}"))
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy.url)
    client = make_client("http://user-service.invalid:8001/api/")
    monkeypatch.delenv("http_proxy")  # read once, at construction
    client.get("users/1")
    assert proxy.requests[0].path == "http://user-service.invalid:8001/api/users/1"


def test_cookies_are_never_carried_between_calls(scripted_server):
    server = scripted_server(
        lambda request: reply(200, b"{}", {"Set-Cookie": "sessionid=user-a; Path=/"})
    )
    client = make_client(server.url)
    client.get("a")
    client.get("b")
    assert "cookie" not in server.requests[1].headers


def test_unreplayable_body_is_sent_once(scripted_server):
    server = scripted_server(lambda request: reply(503, b"{}"))

    def body() -> Iterator[bytes]:
        yield b"abc"

    with pytest.raises(ServiceUnavailableError) as caught:
        make_client(server.url, retries=3).put("stream", data=body())
    assert caught.value.attempts == 1
    assert len(server.requests) == 1


def test_retries_zero_makes_one_attempt(refused_url):
    with pytest.raises(ServiceConnectionError) as caught:
        make_client(refused_url, retries=0).get("x")
    assert caught.value.attempts == 1


def test_every_error_is_a_service_error():
    for error_class in (
        ServiceConnectionError,
        IncompleteResponseError,
        ServiceTimeoutError,
        ServiceConnectTimeoutError,
        ServiceReadTimeoutError,
        DeadlineExceededError,
        ServiceHTTPError,
        ServiceUnavailableError,
        CircuitOpenError,
        InvalidJSONError,
    ):
        assert issubclass(error_class, ServiceError)
    assert issubclass(ServiceUnavailableError, ServiceHTTPError)
    assert issubclass(DeadlineExceededError, ServiceTimeoutError)


def test_call_headers_go_over_the_client_headers_and_none_removes_one(scripted_server):
    server = scripted_server(lambda request: reply(200, b"{}"))
    client = make_client(server.url, headers={"X-Tenant": "blue", "X-Trace": "on"})
    client.get("a", params={"q": "a b", "n": 2}, headers={"x-tenant": "red", "X-Trace": None})
    client.get("b")
    first, second = server.requests
    assert first.headers["x-tenant"] == "red" and "x-trace" not in first.headers
    assert first.headers["accept"] == "application/json"
    assert first.path == "/a?q=a+b&n=2"
    assert second.headers["x-tenant"] == "blue" and second.headers["x-trace"] == "on"


def test_a_redirect_is_returned_not_followed(scripted_server):
    server = scripted_server(lambda request: reply(302, b"", {"Location": "/elsewhere"}))
    response = make_client(server.url, auth_token=TOKEN).get("a")
    assert response.status_code == 302 and response.is_redirect
    assert response.headers["Location"] == "/elsewhere"
    assert [request.path for request in server.requests] == ["/a"]


def test_the_response_is_a_complete_requests_response(scripted_server):
    server = scripted_server(
        lambda request: reply(200, b'{"ok": true}', {"Set-Cookie": "sessionid=user-a; Path=/"})
    )
    client = make_client(server.url)
    response = client.post("a", json={"x": 1})
    assert response.json() == {"ok": True} and response.ok
    assert response.url == f"{server.url.rstrip('/')}/a" and response.request.method == "POST"
    assert response.request.headers["Content-Type"] == "application/json"
    assert response.elapsed.total_seconds() > 0
    assert response.cookies["sessionid"] == "user-a"  # the answer's own, never kept
    client.get("b")
    assert "cookie" not in server.requests[1].headers
