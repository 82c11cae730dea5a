"""End to end: the three services as real processes (the runner), exercised over real HTTP only.

The stack starts once for the module, on free ports. On SQLite files and local-memory caches by
default; when ``DATABASE_URL`` names PostgreSQL (the PostgreSQL pass of ``scripts/test``), each
service gets its own fresh PostgreSQL database ``<E2E_DATABASE_PREFIX>_user|_ticket|_file``
(default prefix: ``<DATABASE_URL's name>_e2e``), and ``CACHE_URL`` (Redis) is shared.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import urllib3

from services.runner import FILE, SERVICES, TICKET, USER, Stack, free_ports
from services.user_service.roles import DEFAULT_DEMO_PASSWORD
from tests.conftest import IN_CI, require_service
from tests.stack_support import recreate_postgres_database

pytestmark = pytest.mark.e2e

#: Client settings of the services in this stack: short, so the outage test stays quick.
CLIENT_DEADLINE = 4.0
BREAKER_RESET = 2.0
PASSWORD = "Correct-Horse-Battery-42"


def _postgres_databases() -> dict[str, str] | None:
    """Per-service PostgreSQL URLs when DATABASE_URL names PostgreSQL, else ``None``."""
    base = os.environ.get("DATABASE_URL", "")
    if urlsplit(base).scheme not in ("postgres", "postgresql", "pgsql"):
        return None
    require_service("PostgreSQL", base)
    parts = urlsplit(base)
    prefix = os.environ.get("E2E_DATABASE_PREFIX") or f"{parts.path.lstrip('/') or 'suite'}_e2e"
    return {
        spec.name: urlunsplit(parts._replace(path=f"/{prefix}_{spec.slug}")) for spec in SERVICES
    }


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The three services, migrated, seeded and running until the module ends."""
    data_dir = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(
        {
            "HTTP_CLIENT_DEADLINE": str(CLIENT_DEADLINE),
            "HTTP_CLIENT_CONNECT_TIMEOUT": "1",
            "HTTP_CLIENT_READ_TIMEOUT": "3",
            "HTTP_CLIENT_RETRIES": "2",
            "HTTP_CLIENT_BACKOFF_FACTOR": "0.1",
            "HTTP_CLIENT_BACKOFF_MAX": "0.5",
            "HTTP_CLIENT_BREAKER_RESET": str(BREAKER_RESET),
            "HEALTHCHECK_TIMEOUT": "1",
            "DEMO_PASSWORD": DEFAULT_DEMO_PASSWORD,
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "text",
        }
    )
    databases = _postgres_databases()
    if databases:
        for spec in SERVICES:
            recreate_postgres_database(databases[spec.name])
            env[f"{spec.env_prefix}_DATABASE_URL"] = databases[spec.name]
        if os.environ.get("CACHE_URL"):
            env["CACHE_URL"] = os.environ["CACHE_URL"]
    elif IN_CI and os.environ.get("DATABASE_URL"):
        pytest.fail("CI gave a DATABASE_URL that is not PostgreSQL")
    ports = dict(zip((spec.name for spec in SERVICES), free_ports(3), strict=True))
    runner = Stack(
        ports=ports,
        data_dir=data_dir,
        env=env,
        log_dir=data_dir / "logs",
        output=open(os.devnull, "w"),  # noqa: SIM115 - lives as long as the stack
    )
    with runner.running_stack():
        yield runner


class Client:
    """A tiny HTTP client for one end user (session token on every request)."""

    def __init__(self, stack: Stack, token: str | None = None) -> None:
        self.stack = stack
        self.token = token
        self.session = requests.Session()

    def request(self, method: str, service: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("X-Session-Token", self.token)
        kwargs.setdefault("timeout", 30)
        return self.session.request(
            method, f"{self.stack.url(service)}{path}", headers=headers, **kwargs
        )

    def get(self, service: str, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", service, path, **kw)

    def post(self, service: str, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", service, path, **kw)

    def patch(self, service: str, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", service, path, **kw)

    def delete(self, service: str, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", service, path, **kw)


def data(response: requests.Response, status: int = 200) -> Any:
    """The envelope's ``data`` after checking the status (the body is shown when it differs)."""
    assert response.status_code == status, (response.status_code, response.text[:2000])
    if status == 204:
        return None
    return response.json()["data"]


def login(stack: Stack, email: str, password: str) -> Client:
    body = data(
        Client(stack).post(
            USER.name, "/api/v1/auth/login", json={"email": email, "password": password}
        )
    )
    return Client(stack, body["token"])


def signup(stack: Stack, email: str) -> tuple[Client, str]:
    """Sign up, log in; return the logged-in client and the user's id."""
    response = Client(stack).post(
        USER.name, "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code in (200, 201), response.text
    client = login(stack, email, PASSWORD)
    me = data(client.get(USER.name, "/api/v1/users/me"))
    return client, me["id"]


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Client:
    return login(stack, "admin@example.com", DEFAULT_DEMO_PASSWORD)


@pytest.fixture(scope="module")
def customer(stack: Stack) -> tuple[Client, str]:
    return signup(stack, f"customer-{uuid.uuid4().hex[:8]}@example.com")


@pytest.fixture(scope="module")
def other_customer(stack: Stack) -> tuple[Client, str]:
    return signup(stack, f"other-{uuid.uuid4().hex[:8]}@example.com")


@pytest.fixture(scope="module")
def agent(stack: Stack, admin: Client) -> tuple[Client, str]:
    """A user who signs up as anybody, then is made an agent by the admin (over HTTP)."""
    email = f"agent-{uuid.uuid4().hex[:8]}@example.com"
    _, user_id = signup(stack, email)
    roles = data(admin.post(USER.name, f"/api/v1/users/{user_id}/roles", json={"role": "agent"}))
    assert "agent" in roles["roles"]
    # Log in again: a fresh token, so no service holds a cached identity from before the grant.
    return login(stack, email, PASSWORD), user_id


def create_ticket(client: Client, **fields: Any) -> dict[str, Any]:
    payload = {"title": "Printer on fire", "description": "Smoke everywhere."} | fields
    return data(client.post(TICKET.name, "/api/v1/tickets", json=payload), 201)


def upload(
    client: Client, ticket_id: str, content: bytes, name: str, **kw: Any
) -> requests.Response:
    return client.post(
        FILE.name,
        "/api/v1/files",
        data={"ticket_id": ticket_id},
        files={"file": (name, content, "application/octet-stream")},
        **kw,
    )


def problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:2000])
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


# --- tests, in the order a user meets the system ------------------------------------------------


def test_every_service_is_live_and_ready(stack):
    for spec in SERVICES:
        assert requests.get(f"{stack.url(spec.name)}/health", timeout=10).status_code == 200
        ready = requests.get(f"{stack.url(spec.name)}/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        schema = requests.get(f"{stack.url(spec.name)}/api/schema/", timeout=30)
        assert schema.status_code == 200


def test_signed_up_users_are_known_to_every_service(stack, customer, agent):
    customer_client, customer_id = customer
    agent_client, agent_id = agent
    assert customer_id != agent_id
    for client in (customer_client, agent_client):
        data(client.get(USER.name, "/api/v1/auth/session"))
        data(client.get(TICKET.name, "/api/v1/tickets"))
    # Without a token, the ticket and file services refuse.
    anonymous = Client(stack)
    assert problem(anonymous.get(TICKET.name, "/api/v1/tickets"), 401)["code"] in (
        "not_authenticated",
        "authentication_failed",
    )
    assert anonymous.get(FILE.name, f"/api/v1/files?ticket_id={uuid.uuid4()}").status_code == 401
    bogus = Client(stack, "not-a-real-token")
    assert bogus.get(TICKET.name, "/api/v1/tickets").status_code == 401


def test_ticket_assigned_to_an_agent_with_comments(customer, agent):
    customer_client, customer_id = customer
    agent_client, agent_id = agent
    ticket = create_ticket(customer_client, priority="high")
    assert ticket["reporter_id"] == customer_id
    assert ticket["assignee_id"] is None
    assert ticket["status"] == "open"
    path = f"/api/v1/tickets/{ticket['id']}"
    # Only staff assign (a customer's assignee_id is a 403, see test_e2e_security.py).
    assigned = data(agent_client.patch(TICKET.name, path, json={"assignee_id": agent_id}))
    assert assigned["assignee_id"] == agent_id
    # The agent sees it, works on it; a comment from each side.
    assert data(agent_client.get(TICKET.name, path))["id"] == ticket["id"]
    moved = data(agent_client.patch(TICKET.name, path, json={"status": "in_progress"}))
    assert moved["status"] == "in_progress"
    data(customer_client.post(TICKET.name, f"{path}/comments", json={"body": "Any news?"}), 201)
    data(agent_client.post(TICKET.name, f"{path}/comments", json={"body": "On it."}), 201)
    comments = data(customer_client.get(TICKET.name, f"{path}/comments"))
    assert [c["body"] for c in comments] == ["Any news?", "On it."]
    assert [c["author_id"] for c in comments] == [customer_id, agent_id]
    # Invalid workflow moves are a 400; customers do not move tickets.
    invalid = problem(agent_client.patch(TICKET.name, path, json={"status": "closed"}), 400)
    assert invalid["errors"][0]["pointer"] == "#/status"
    assert customer_client.patch(TICKET.name, path, json={"status": "resolved"}).status_code == 403


def test_unknown_or_non_agent_assignee_is_a_400(customer, agent):
    _, customer_id = customer
    agent_client, _ = agent
    for assignee in (str(uuid.uuid4()), customer_id):
        response = agent_client.post(
            TICKET.name, "/api/v1/tickets", json={"title": "x", "assignee_id": assignee}
        )
        body = problem(response, 400)
        assert body["code"] == "validation_error"
        assert [e["pointer"] for e in body["errors"]] == ["#/assignee_id"]


def test_upload_and_byte_identical_download(customer):
    client, customer_id = customer
    ticket = create_ticket(client)
    content = os.urandom(300_000) + b"\x00\r\n--boundary-lookalike--\r\n"
    name = "../../etc/évil report.bin"
    record = data(upload(client, ticket["id"], content, name), 201)
    assert record["sha256"] == hashlib.sha256(content).hexdigest()
    assert record["size"] == len(content)
    assert record["original_name"] == "évil report.bin"
    assert record["uploaded_by"] == customer_id
    download = client.get(FILE.name, f"/api/v1/files/{record['id']}/content", stream=True)
    assert download.status_code == 200
    body = b"".join(download.iter_content(65536))
    assert hashlib.sha256(body).hexdigest() == record["sha256"]
    assert body == content
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition and "\n" not in disposition
    assert "filename*=utf-8''%C3%A9vil%20report.bin" in disposition
    listed = data(client.get(FILE.name, f"/api/v1/files?ticket_id={ticket['id']}"))
    assert [f["id"] for f in listed] == [record["id"]]


def test_ticket_list_pages_through_every_ticket_once(stack):
    client, _ = signup(stack, f"pager-{uuid.uuid4().hex[:8]}@example.com")
    created = {create_ticket(client, title=f"Ticket {i}")["id"] for i in range(5)}
    seen: list[str] = []
    page = 1
    while True:
        response = client.get(TICKET.name, f"/api/v1/tickets?per_page=2&page={page}")
        body = response.json()
        assert response.status_code == 200, body
        seen += [t["id"] for t in body["data"]]
        pagination = body["meta"]["pagination"]
        assert len(body["data"]) <= 2
        if not pagination.get("has_next", pagination.get("next")):
            break
        page += 1
    assert page == 3
    assert sorted(seen) == sorted(created)
    assert (
        problem(client.get(TICKET.name, "/api/v1/tickets?status=bogus"), 400)["errors"][0][
            "parameter"
        ]
        == "status"
    )


def test_soft_delete_takes_comments_and_files_along_and_restore_brings_them_back(customer, agent):
    client, _ = customer
    agent_client, _ = agent
    ticket = create_ticket(client)
    path = f"/api/v1/tickets/{ticket['id']}"
    data(client.post(TICKET.name, f"{path}/comments", json={"body": "first"}), 201)
    content = b"keep me"
    record = data(upload(client, ticket["id"], content, "note.txt"), 201)
    file_path = f"/api/v1/files/{record['id']}"

    data(client.delete(TICKET.name, path), 204)
    for who in (client, agent_client):
        assert who.get(TICKET.name, path).status_code == 404
        listed = [t["id"] for t in data(who.get(TICKET.name, "/api/v1/tickets?per_page=100"))]
        assert ticket["id"] not in listed
        assert who.get(TICKET.name, f"{path}/comments").status_code == 404
        assert who.get(FILE.name, f"/api/v1/files?ticket_id={ticket['id']}").status_code == 404
        assert who.get(FILE.name, file_path).status_code == 404
        assert who.get(FILE.name, f"{file_path}/content").status_code == 404

    restored = data(client.post(TICKET.name, f"{path}/restore"))
    assert restored["id"] == ticket["id"]
    assert [c["body"] for c in data(client.get(TICKET.name, f"{path}/comments"))] == ["first"]
    listed = data(client.get(FILE.name, f"/api/v1/files?ticket_id={ticket['id']}"))
    assert [f["id"] for f in listed] == [record["id"]]
    assert client.get(FILE.name, f"{file_path}/content").content == content
    # Restoring a ticket that is not deleted is a 404 (there is nothing to restore).
    assert client.post(TICKET.name, f"{path}/restore").status_code == 404


def test_a_customer_never_sees_another_customers_ticket_or_file(customer, other_customer):
    owner, _ = customer
    stranger, _ = other_customer
    ticket = create_ticket(owner, title="Private")
    record = data(upload(owner, ticket["id"], b"secret", "secret.txt"), 201)
    path = f"/api/v1/tickets/{ticket['id']}"
    assert stranger.get(TICKET.name, path).status_code == 404
    assert stranger.patch(TICKET.name, path, json={"title": "mine"}).status_code == 404
    assert stranger.delete(TICKET.name, path).status_code == 404
    assert stranger.get(TICKET.name, f"{path}/comments").status_code == 404
    assert stranger.post(TICKET.name, f"{path}/comments", json={"body": "hi"}).status_code == 404
    listed = data(stranger.get(TICKET.name, "/api/v1/tickets?per_page=100"))
    assert ticket["id"] not in [t["id"] for t in listed]
    assert stranger.get(FILE.name, f"/api/v1/files?ticket_id={ticket['id']}").status_code == 404
    assert stranger.get(FILE.name, f"/api/v1/files/{record['id']}").status_code == 404
    assert stranger.get(FILE.name, f"/api/v1/files/{record['id']}/content").status_code == 404
    assert stranger.delete(FILE.name, f"/api/v1/files/{record['id']}").status_code == 404
    refused = problem(upload(stranger, ticket["id"], b"x", "x.txt"), 400)
    assert refused["errors"][0]["pointer"] == "#/ticket_id"
    # The owner still has it all.
    assert owner.get(FILE.name, f"/api/v1/files/{record['id']}/content").content == b"secret"


def test_unsafe_methods_on_probes_and_the_schema_are_405_problems_with_allow(stack):
    for spec in SERVICES:
        base = stack.url(spec.name)
        for method, path in [
            ("POST", "/health"),
            ("PUT", "/health"),
            ("DELETE", "/health"),
            ("POST", "/ready"),
            ("POST", "/api/schema/"),
        ]:
            response = requests.request(method, f"{base}{path}", timeout=30)
            body = problem(response, 405)
            assert body["code"] == "method_not_allowed"
            assert "GET" in response.headers["Allow"], (spec.name, method, path)


def test_a_415_does_not_echo_the_content_type(customer):
    client, _ = customer
    evil = "text/<b>evil</b>"
    response = client.post(
        TICKET.name, "/api/v1/tickets", data=b"x", headers={"Content-Type": evil}
    )
    assert problem(response, 415)["code"] == "unsupported_media_type"
    assert "<b>" not in response.text and "evil" not in response.text


def test_a_download_revalidated_with_its_etag_is_a_304(customer):
    client, _ = customer
    ticket = create_ticket(client)
    record = data(upload(client, ticket["id"], b"cache me", "c.txt"), 201)
    path = f"/api/v1/files/{record['id']}/content"
    etag = client.get(FILE.name, path).headers["ETag"]
    assert etag == f'"{record["sha256"]}"'
    revalidated = client.get(FILE.name, path, headers={"If-None-Match": etag})
    assert revalidated.status_code == 304
    assert revalidated.content == b""


def send_chunked(
    stack: Stack, service: str, path: str, body: bytes, headers: dict[str, str], size: int = 7000
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` with ``Transfer-Encoding: chunked`` (no Content-Length) over a raw
    http.client connection to the service's gunicorn; return status, headers and body."""
    parts = urlsplit(stack.url(service))
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    chunks = (body[start : start + size] for start in range(0, len(body), size))
    try:
        connection.request("POST", path, body=chunks, headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_a_chunked_json_post_reaches_the_view_whole(customer):
    client, customer_id = customer
    payload = json.dumps({"title": "Chunked ticket", "description": "d" * 20_000}).encode()
    headers = {"Content-Type": "application/json", "X-Session-Token": client.token}

    status, _, body = send_chunked(client.stack, TICKET.name, "/api/v1/tickets", payload, headers)

    assert status == 201, body[:2000]
    ticket = json.loads(body)["data"]
    assert (ticket["title"], ticket["reporter_id"]) == ("Chunked ticket", customer_id)
    assert ticket["description"] == "d" * 20_000


def test_a_chunked_multipart_upload_stores_the_bytes_whole(customer):
    client, _ = customer
    ticket = create_ticket(client)
    content = os.urandom(200_000)
    payload, content_type = urllib3.encode_multipart_formdata(
        {"ticket_id": ticket["id"], "file": ("chunked.bin", content, "application/octet-stream")}
    )
    headers = {"Content-Type": content_type, "X-Session-Token": client.token}

    status, _, body = send_chunked(client.stack, FILE.name, "/api/v1/files", payload, headers)

    assert status == 201, body[:2000]
    record = json.loads(body)["data"]
    assert (record["size"], record["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
    download = client.get(FILE.name, f"/api/v1/files/{record['id']}/content")
    assert download.content == content


def test_a_chunked_body_over_the_limit_is_a_413_problem(customer):
    client, _ = customer
    # The ticket service reads at most DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) of a chunked body.
    payload = json.dumps({"title": "big", "description": "x" * 2_700_000}).encode()
    headers = {"Content-Type": "application/json", "X-Session-Token": client.token}

    status, response_headers, body = send_chunked(
        client.stack, TICKET.name, "/api/v1/tickets", payload, headers, size=65536
    )

    assert status == 413, body[:2000]
    assert response_headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["code"] == "payload_too_large"


def _wait_for_log_lines(log: Path, needle: str, timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in log.read_text().splitlines() if needle in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.2)


def test_one_request_id_in_all_three_services_logs_for_one_upload(stack, customer):
    client, _ = customer
    ticket = create_ticket(client)
    # A fresh session: its identity is not cached yet, so the file service asks the user service.
    email = data(client.get(USER.name, "/api/v1/users/me"))["email"]
    fresh = login(stack, email, PASSWORD)
    request_id = f"e2e-upload-{uuid.uuid4().hex}"
    response = upload(fresh, ticket["id"], b"traced", "t.txt", headers={"X-Request-ID": request_id})
    data(response, 201)
    assert response.headers["X-Request-ID"] == request_id
    for spec in SERVICES:
        lines = _wait_for_log_lines(stack.log_dir / f"{spec.slug}.log", request_id)
        assert lines, f"{spec.name} logged nothing with request ID {request_id}"
    # The token never reaches a log line.
    for spec in SERVICES:
        assert fresh.token not in (stack.log_dir / f"{spec.slug}.log").read_text()


def test_user_service_outage_is_a_fast_503_and_the_stack_recovers(stack, agent):
    client, agent_id = agent  # staff: the assignee check asks the user service
    ticket_url = stack.url(TICKET.name)
    stack.stop(USER.name)
    try:
        started = time.monotonic()
        response = client.post(
            TICKET.name, "/api/v1/tickets", json={"title": "down", "assignee_id": agent_id}
        )
        elapsed = time.monotonic() - started
        body = problem(response, 503)
        assert body["code"] == "upstream_unavailable"
        # Within the client deadline (plus the service's own request handling).
        assert elapsed < CLIENT_DEADLINE + 2, elapsed
        # Liveness does not depend on the user service; readiness does, and names it.
        assert requests.get(f"{ticket_url}/health", timeout=10).status_code == 200
        ready = requests.get(f"{ticket_url}/ready", timeout=10)
        assert ready.status_code == 503
        assert USER.name in ready.text
        assert requests.get(f"{stack.url(FILE.name)}/ready", timeout=10).status_code == 503
    finally:
        stack.start(USER.name)
    # Back: readiness and ticket creation recover (after the circuit breaker's reset time).
    deadline = time.monotonic() + BREAKER_RESET + 20
    while True:
        response = client.post(
            TICKET.name, "/api/v1/tickets", json={"title": "up again", "assignee_id": agent_id}
        )
        if response.status_code == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code == 201, response.text
    assert requests.get(f"{ticket_url}/ready", timeout=10).status_code == 200


def test_no_request_ended_in_a_server_error(stack):
    # Upstream failures during the outage are 503s by design; a 500 anywhere is a bug.
    for spec in SERVICES:
        text = (stack.log_dir / f"{spec.slug}.log").read_text()
        assert "apipatterns.requests" in text  # the request log is there to be checked
        errors = re.findall(
            r"^.* apipatterns\.requests \[[^]]*\] [A-Z]+ \S+ 500 .*$|^.*internal_error.*$",
            text,
            re.M,
        )
        assert not errors, (spec.name, errors)
