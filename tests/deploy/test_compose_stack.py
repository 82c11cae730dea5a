"""docker-compose.yml itself, run by the real ``docker-compose`` on podman, through its ports.

Container tests (marker ``container``). The stack is the users' compose file as written (the
migrate steps, healthchecks, ``depends_on`` conditions, volumes, env files) plus
``tests/deploy/podman/compose.test.yml``, which only swaps the official postgres and redis images
for Debian-made stand-ins. The project's image is the one built from the Dockerfile in this
session. The tests run in file order: up, the user flow, the logs, an outage, then ``down -v``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from services.user_service.roles import DEFAULT_DEMO_PASSWORD
from tests.deploy.containers import (
    MEASUREMENTS,
    PORTS,
    ComposeStack,
    podman_service,
    wait_until,
)

pytestmark = pytest.mark.container

PASSWORD = "Correct-Horse-Battery-42"
USER, TICKET, FILE = "user-service", "ticket-service", "file-service"


def url(service: str, path: str) -> str:
    return f"http://127.0.0.1:{PORTS[service]}{path}"


@pytest.fixture(scope="module")
def stack(suite_image, base_images) -> Iterator[ComposeStack]:
    """The compose project ``dss-test``: up (timed) for the module, down -v at the end."""
    with (
        tempfile.TemporaryDirectory(prefix="dss-podman-") as tmp,
        podman_service(Path(tmp) / "podman.sock") as docker_host,
    ):
        compose = ComposeStack(
            docker_host=docker_host,
            postgres_image=base_images.postgres,
            redis_image=base_images.redis,
        )
        try:
            with compose.running():
                yield compose
        finally:
            for name, seconds in compose.timings.items():
                MEASUREMENTS[f"compose: {name}"] = f"{seconds:.1f} s"


class Client:
    """One end user against the published ports (session token on every request)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.session = requests.Session()

    def request(self, method: str, service: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers.setdefault("X-Session-Token", self.token)
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, url(service, path), headers=headers, **kwargs)


def data(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text[:2000])
    return response.json()["data"]


def login(email: str, password: str) -> Client:
    body = data(
        Client().request(
            "POST", USER, "/api/v1/auth/login", json={"email": email, "password": password}
        )
    )
    return Client(body["token"])


def test_every_service_is_healthy_and_ready_on_its_published_port(stack):
    for service in PORTS:
        assert stack.health(service) == "healthy"
        assert requests.get(url(service, "/health"), timeout=30).status_code == 200
        ready = requests.get(url(service, "/ready"), timeout=30)
        assert ready.status_code == 200, ready.text
    # The stand-ins really are what ran: compose used the override's images.
    services = stack.compose("ps", "--all", "--format", "json")
    images = {
        entry["Service"]: entry["Image"]
        for entry in (json.loads(line) for line in services.splitlines() if line.strip())
    }
    assert images["postgres"] == stack.postgres_image
    assert images["redis"] == stack.redis_image


def test_sign_up_log_in_ticket_with_assignee_and_file_round_trip(stack):
    started = time.monotonic()
    email = f"customer-{uuid.uuid4().hex[:8]}@example.com"
    signup = Client().request(
        "POST", USER, "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert signup.status_code in (200, 201), signup.text
    customer = login(email, PASSWORD)
    customer_id = data(customer.request("GET", USER, "/api/v1/users/me"))["id"]
    # The demo agent, created by the user-migrate step's seed_demo.
    agent = login("agent@example.com", DEFAULT_DEMO_PASSWORD)
    agent_id = data(agent.request("GET", USER, "/api/v1/users/me"))["id"]

    ticket = data(
        customer.request(
            "POST",
            TICKET,
            "/api/v1/tickets",
            json={"title": "Printer on fire", "description": "Smoke."},
        ),
        201,
    )
    assert ticket["reporter_id"] == customer_id
    # Only staff assign: the agent takes the ticket (the ticket service asks the user service).
    assigned = data(
        agent.request(
            "PATCH", TICKET, f"/api/v1/tickets/{ticket['id']}", json={"assignee_id": agent_id}
        )
    )
    assert assigned["assignee_id"] == agent_id
    assert (
        data(agent.request("GET", TICKET, f"/api/v1/tickets/{ticket['id']}"))["id"] == ticket["id"]
    )

    content = os.urandom(200_000) + b"\x00\r\n--boundary-lookalike--\r\n"
    record = data(
        customer.request(
            "POST",
            FILE,
            "/api/v1/files",
            data={"ticket_id": ticket["id"]},
            files={"file": ("report.bin", content, "application/octet-stream")},
        ),
        201,
    )
    assert record["sha256"] == hashlib.sha256(content).hexdigest()
    download = customer.request("GET", FILE, f"/api/v1/files/{record['id']}/content")
    assert download.status_code == 200
    assert download.content == content
    MEASUREMENTS["compose: user flow (sign up ... download)"] = (
        f"{time.monotonic() - started:.1f} s"
    )


def test_logs_are_json_lines_with_one_request_id_across_the_three_services(stack):
    # A fresh session: its first call to the file service is introspected at the user service,
    # and the file service asks the ticket service for the ticket.
    email = f"logs-{uuid.uuid4().hex[:8]}@example.com"
    Client().request(
        "POST", USER, "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    client = login(email, PASSWORD)
    ticket = data(client.request("POST", TICKET, "/api/v1/tickets", json={"title": "x"}), 201)
    fresh = login(email, PASSWORD)
    request_id = f"container-test-{uuid.uuid4().hex}"
    response = fresh.request(
        "POST",
        FILE,
        "/api/v1/files",
        data={"ticket_id": ticket["id"]},
        files={"file": ("a.txt", b"hello", "text/plain")},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == request_id

    for service in PORTS:
        lines = stack.logs(service)
        assert lines, f"{service} logged nothing"
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                pytest.fail(f"{service}: not a JSON line: {line!r}")
        assert all(isinstance(record, dict) for record in records)
        tagged = [record for record in records if record.get("request_id") == request_id]
        assert tagged, f"{service}: no line with request ID {request_id}"
        assert {record.get("service") for record in tagged} == {service}


def test_the_others_answer_503_while_the_user_service_is_down_and_recover(stack):
    email = f"outage-{uuid.uuid4().hex[:8]}@example.com"
    Client().request(
        "POST", USER, "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    unseen = login(email, PASSWORD)  # no service has introspected this token yet

    started = time.monotonic()
    stack.compose("stop", USER)
    for service in (TICKET, FILE):
        wait_until(
            lambda service=service: (
                requests.get(url(service, "/ready"), timeout=30).status_code == 503
            ),
            timeout=60,
            what=f"{service} /ready 503",
        )
        assert requests.get(url(service, "/health"), timeout=30).status_code == 200
    outage = unseen.request("GET", TICKET, "/api/v1/tickets")
    assert outage.status_code == 503, outage.text
    assert outage.headers["Content-Type"].startswith("application/problem+json")
    assert outage.json()["code"] == "upstream_unavailable"

    stack.compose("start", USER)
    recovered = wait_until(
        lambda: all(
            requests.get(url(service, "/ready"), timeout=30).status_code == 200 for service in PORTS
        ),
        timeout=180,
        what="every service ready again",
        interval=2,
    )
    # The session works again once the ticket service's circuit to the user service closes
    # (HTTP_CLIENT_BREAKER_RESET, 30 s, if the outage opened it).
    wait_until(
        lambda: unseen.request("GET", TICKET, "/api/v1/tickets").status_code == 200,
        timeout=60,
        what="the unseen session accepted by the ticket service",
        interval=2,
    )
    assert data(unseen.request("GET", TICKET, "/api/v1/tickets")) == []
    MEASUREMENTS["compose: user-service stopped -> all /ready 200 after start"] = (
        f"{time.monotonic() - started:.1f} s (recovery {recovered:.1f} s)"
    )


def test_down_v_leaves_no_container_volume_or_network_behind(stack):
    assert stack.leftovers()["volumes"], "the stack's named volumes exist while it runs"
    started = time.monotonic()
    stack.compose("down", "-v", "--remove-orphans", timeout=300)
    MEASUREMENTS["compose: down -v"] = f"{time.monotonic() - started:.1f} s"
    assert stack.leftovers() == {"containers": [], "volumes": [], "networks": []}
