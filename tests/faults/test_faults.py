"""Faults under the running stack: PostgreSQL restarted under load, Redis stopped, a downstream
service slow or failing, an upload cut off mid-body.

The three services run as real processes (``services.runner.Stack``, gunicorn) on a PRIVATE
PostgreSQL cluster and a PRIVATE redis-server (``tests/faults/conftest.py``), which these tests
stop and start; the ticket service reaches the user service through a fault-injecting HTTP proxy.
Marked ``stack``: they run once, in the PostgreSQL pass of ``scripts/test``.

Decisions these tests pin (documented in docs/shared_core.md and docs/apipatterns.md):

- database down: 503 ``service_unavailable`` with ``Retry-After`` (or 503 ``upstream_unavailable``
  when the user service, on the same database server, cannot answer an introspection); never a
  500, never HTML, never a hang; nothing acknowledged with 201 is lost; recovery is automatic
  (``CONN_MAX_AGE=0`` + ``CONN_HEALTH_CHECKS``: every request opens a fresh connection);
- Redis down: reads and writes keep working (throttling fails open, introspection answers are
  not cached, sessions are in the database), allauth's login rate limit fails closed (429
  ``too_many_attempts`` after its one-second lock wait),
  ``/ready`` names the cache, recovery is automatic;
- downstream slow: 504 ``upstream_timeout`` within the client deadline; downstream answering 500:
  502 ``upstream_error`` until the circuit opens, then 503 ``upstream_unavailable`` without a call;
  the circuit closes by itself once the downstream is healthy.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from services.runner import FILE, SERVICES, TICKET, USER, Stack
from services.user_service.roles import DEFAULT_DEMO_PASSWORD
from tests.stack_support import FAST_CLIENT_ENV, start_stack

pytestmark = pytest.mark.stack

PASSWORD = DEFAULT_DEMO_PASSWORD
DEADLINE = float(FAST_CLIENT_ENV["HTTP_CLIENT_DEADLINE"])
BREAKER_RESET = float(FAST_CLIENT_ENV["HTTP_CLIENT_BREAKER_RESET"])
BREAKER_FAILURES = 3
#: No answer may take longer than this, whatever is broken.
MAX_ANSWER_SECONDS = DEADLINE + 4


class FaultProxy:
    """An HTTP proxy in front of the user service: ``mode`` = ``pass``, ``slow`` or ``error``."""

    def __init__(self) -> None:
        self.mode = "pass"
        self.target: str | None = None
        self.hits = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                proxy.hits += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.mode == "slow":
                    time.sleep(DEADLINE + 2)
                if proxy.mode == "error" or proxy.target is None:
                    self._answer(500, "application/json", b'{"error": "injected"}', {})
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                request = urllib.request.Request(
                    proxy.target + self.path, data=body, headers=headers, method=self.command
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, raw = response.status, response.read()
                        answer_headers = response.headers
                except urllib.error.HTTPError as error:
                    status, raw, answer_headers = error.code, error.read(), error.headers
                self._answer(
                    status,
                    answer_headers.get("Content-Type", "application/json"),
                    raw,
                    {"X-Request-ID": answer_headers.get("X-Request-ID", "")},
                )

            def _answer(self, status: int, ctype: str, raw: bytes, extra: dict) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(raw)))
                    for name, value in extra.items():
                        if value:
                            self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the caller gave up (timeout): expected in "slow" mode

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Answer:
    status: int
    content_type: str
    body: Any
    seconds: float

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


def call(method: str, url: str, token: str | None = None, **kwargs: Any) -> Answer:
    headers = {"X-Session-Token": token} if token else {}
    started = time.monotonic()
    response = requests.request(method, url, headers=headers, timeout=30, **kwargs)
    elapsed = time.monotonic() - started
    ctype = response.headers.get("Content-Type", "")
    body = response.json() if "json" in ctype else response.text
    return Answer(response.status_code, ctype, body, elapsed)


@pytest.fixture(scope="module")
def proxy() -> Iterator[FaultProxy]:
    server = FaultProxy()
    yield server
    server.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, private_postgres, private_redis, proxy) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("faults")
    (root / "upload-tmp").mkdir()
    databases = {spec.name: private_postgres.url(f"faults_{spec.slug}") for spec in SERVICES}
    with start_stack(
        root,
        database_prefix="faults",
        database_urls=databases,
        cache_url=private_redis.url(0),
        extra_env={
            "DEMO_PASSWORD": PASSWORD,
            "API_THROTTLE_USER_RATE": "100000/min",
            "HTTP_CLIENT_BREAKER_FAILURES": str(BREAKER_FAILURES),
        },
        env_overrides={
            TICKET.name: {"IDENTITY_SERVICE_URL": proxy.url},
            # Django's temporary upload files go here: the interrupted-upload test checks it.
            FILE.name: {"TMPDIR": str(root / "upload-tmp")},
        },
    ) as running:
        proxy.target = running.url(USER.name)
        yield running


@pytest.fixture(scope="module")
def users(stack: Stack) -> dict[str, Any]:
    out = {}
    for role in ("customer", "agent", "admin"):
        answer = call(
            "POST",
            f"{stack.url(USER.name)}/api/v1/auth/login",
            json={"email": f"{role}@example.com", "password": PASSWORD},
        )
        assert answer.status == 200, answer.body
        out[role] = {"token": answer.body["data"]["token"], "id": answer.body["data"]["user"]["id"]}
    return out


def create_ticket(stack: Stack, token: str, assignee: str | None = None) -> Answer:
    payload: dict[str, Any] = {"title": f"fault {uuid.uuid4().hex[:8]}", "description": "x"}
    if assignee:
        payload["assignee_id"] = assignee
    return call("POST", f"{stack.url(TICKET.name)}/api/v1/tickets", token, json=payload)


def assert_problem(answer: Answer, status: int, *codes: str) -> None:
    assert answer.status == status, (answer.status, answer.body)
    assert answer.content_type == "application/problem+json", answer.content_type
    assert answer.code in codes, answer.body


# --- a downstream service slow, then failing, then healthy again ------------------------------


def test_slow_and_failing_downstream_answers_within_the_deadline_and_the_circuit_recovers(
    stack, proxy, users
):
    # Only staff assign: the agent creates tickets assigned to itself.
    staff, agent = users["agent"]["token"], users["agent"]["id"]
    # Healthy: also caches the agent's introspection, so only the assignee check goes slow.
    assert create_ticket(stack, staff, agent).status == 201

    proxy.mode = "slow"
    slow = create_ticket(stack, staff, agent)
    assert_problem(slow, 504, "upstream_timeout")
    assert slow.seconds < DEADLINE + 1.5, slow.seconds

    proxy.mode = "error"
    answers = [create_ticket(stack, staff, agent) for _ in range(BREAKER_FAILURES + 2)]
    for answer in answers:
        assert answer.seconds < MAX_ANSWER_SECONDS
        assert answer.status in (502, 503), answer.body
        assert_problem(answer, answer.status, "upstream_error", "upstream_unavailable")
    assert answers[-1].code == "upstream_unavailable", "the circuit never opened"
    hits = proxy.hits
    assert_problem(create_ticket(stack, staff, agent), 503, "upstream_unavailable")
    assert proxy.hits == hits, "an open circuit still called the downstream"

    proxy.mode = "pass"
    time.sleep(BREAKER_RESET + 0.5)
    recovered = create_ticket(stack, staff, agent)
    assert recovered.status == 201, recovered.body
    assert create_ticket(stack, staff, agent).status == 201


# --- an upload cut off mid-body ---------------------------------------------------------------


def _stored_rows(url: str) -> int:
    with psycopg.connect(url.split("?")[0], connect_timeout=5) as conn:
        table = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE %s",
            ["%storedfile%"],
        ).fetchone()[0]
        return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


@pytest.mark.parametrize("size", [200_000, 3_000_000], ids=["in-memory", "temporary-file"])
def test_an_upload_cut_off_mid_body_leaves_no_row_and_no_file(stack, users, private_postgres, size):
    customer = users["customer"]["token"]
    ticket = create_ticket(stack, customer)
    assert ticket.status == 201
    media, upload_tmp = stack.data_dir / "files", stack.data_dir / "upload-tmp"
    rows_before = _stored_rows(private_postgres.url(f"faults_{FILE.slug}"))
    media_before = _files_under(media)

    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="ticket_id"\r\n\r\n'
        f"{ticket.body['data']['id']}\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="cut.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + size + len(tail)
    port = stack.ports[FILE.name]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST /api/v1/files HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"X-Session-Token: {customer}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {length}\r\n\r\n"
            ).encode()
            + head
            + b"x" * (size // 2)
        )
        time.sleep(0.5)  # the service is reading the body now
    # The client is gone; give the worker time to notice and clean up.
    time.sleep(3)

    assert _stored_rows(private_postgres.url(f"faults_{FILE.slug}")) == rows_before
    assert _files_under(media) == media_before
    assert _files_under(upload_tmp) == [], "a temporary upload file was left behind"
    # The worker is not stuck: a whole upload still works.
    whole = call(
        "POST",
        f"{stack.url(FILE.name)}/api/v1/files",
        customer,
        data={"ticket_id": ticket.body["data"]["id"]},
        files={"file": ("ok.txt", b"complete", "text/plain")},
    )
    assert whole.status == 201, whole.body


# --- Redis stopped ----------------------------------------------------------------------------


def _ready(stack: Stack, name: str) -> Answer:
    return call("GET", f"{stack.url(name)}/ready")


def test_services_keep_answering_while_redis_is_down_and_recover_by_themselves(
    stack, users, private_redis
):
    customer = users["customer"]["token"]
    tickets = stack.url(TICKET.name)
    private_redis.stop()
    try:
        listed = call("GET", f"{tickets}/api/v1/tickets", customer)
        assert listed.status == 200, listed.body
        assert listed.seconds < MAX_ANSWER_SECONDS
        created = create_ticket(stack, users["agent"]["token"], users["agent"]["id"])
        assert created.status == 201, created.body
        assert call("GET", f"{stack.url(USER.name)}/api/v1/users/me", customer).status == 200
        # allauth cannot take its rate-limit lock: logins are refused, not let through unlimited.
        login = call(
            "POST",
            f"{stack.url(USER.name)}/api/v1/auth/login",
            json={"email": "agent@example.com", "password": PASSWORD},
        )
        assert_problem(login, 429, "too_many_attempts")
        for spec in SERVICES:
            assert call("GET", f"{stack.url(spec.name)}/health").status == 200
            ready = _ready(stack, spec.name)
            assert ready.status == 503, (spec.name, ready.body)
            failing = [k for k, v in ready.body["checks"].items() if v["status"] != "ok"]
            assert failing and all(k.startswith("Cache") for k in failing), ready.body
        log = (stack.log_dir / f"{TICKET.slug}.log").read_text()
        assert "Cache unavailable" in log
        # django-health-check logs the failed /ready probe with its traceback; requests never 500.
        assert "Internal Server Error" not in log
        assert not re.search(r"apipatterns\.requests .* 500 ", log)
    finally:
        private_redis.start()

    deadline = time.monotonic() + 20
    while any(_ready(stack, spec.name).status != 200 for spec in SERVICES):
        assert time.monotonic() < deadline, "the services did not recover after Redis came back"
        time.sleep(0.5)
    assert create_ticket(stack, customer).status == 201


# --- PostgreSQL restarted under load ----------------------------------------------------------


def test_postgresql_restart_under_load_fails_fast_loses_nothing_and_recovers(
    stack, users, private_postgres
):
    customer = users["customer"]["token"]
    tickets = stack.url(TICKET.name)
    answers: list[Answer] = []
    created: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def worker(index: int) -> None:
        while not stop.is_set():
            try:
                if index % 2:
                    answer = create_ticket(stack, customer)
                else:
                    answer = call("GET", f"{tickets}/api/v1/tickets?per_page=5", customer)
            except requests.RequestException as exc:  # a hang or a dropped connection
                answer = Answer(0, "", repr(exc), 30.0)
            with lock:
                answers.append(answer)
                if answer.status == 201:
                    created.append(answer.body["data"]["id"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        private_postgres.stop("fast")
        time.sleep(3)
        during = _ready(stack, TICKET.name)
        health = call("GET", f"{tickets}/health")
        private_postgres.start()
        recovered_at = None
        deadline = time.monotonic() + 30
        while recovered_at is None and time.monotonic() < deadline:
            time.sleep(0.5)
            probe = create_ticket(stack, customer)
            if probe.status == 201:
                recovered_at = time.monotonic()
                with lock:
                    created.append(probe.body["data"]["id"])
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert health.status == 200, "liveness must not depend on the database"
    assert during.status == 503
    failing = [k for k, v in during.body["checks"].items() if v["status"] != "ok"]
    assert any(k.startswith("Database") for k in failing), during.body
    assert recovered_at is not None, "the ticket service did not recover by itself"

    failures = [a for a in answers if a.status not in (200, 201)]
    assert failures, "the outage was never seen: the test did not test anything"
    for answer in failures:
        assert answer.status == 503, (answer.status, str(answer.body)[:500])
        assert answer.content_type == "application/problem+json"
        assert answer.code in ("service_unavailable", "upstream_unavailable"), answer.body
    assert max(a.seconds for a in answers) < MAX_ANSWER_SECONDS, "a request hung"

    # Nothing acknowledged is lost.
    admin = users["admin"]["token"]
    missing = [
        ticket_id
        for ticket_id in created
        if call("GET", f"{tickets}/api/v1/tickets/{ticket_id}", admin).status != 200
    ]
    assert not missing, f"{len(missing)} of {len(created)} acknowledged tickets are gone"
    print(
        f"PostgreSQL restart: {len(answers)} requests, {len(failures)} answered 503, "
        f"{len(created)} tickets acknowledged and all present"
    )
