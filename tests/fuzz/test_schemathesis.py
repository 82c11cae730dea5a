"""Fuzz every operation of the three demo services' OpenAPI schemas with schemathesis.

The stack runs as real processes (``services.runner.Stack``, gunicorn, PostgreSQL + Redis in the
PostgreSQL pass of ``scripts/test``). For each service, every operation of ``/api/schema/`` gets
``FUZZ_MAX_EXAMPLES`` (default 25) generated requests — valid ones, invalid ones, and valid ones
aimed at real objects (a real ticket, file or user id in the path) — and every response is checked
with ``not_a_server_error``, ``response_schema_conformance``, ``status_code_conformance`` and
``content_type_conformance``. Failures of all operations are collected and reported together.

Authentication (the "hook"): every request carries the session token of the demo admin (who may
call every operation), ``/internal/`` operations the calling service's bearer token instead, and
operations that end their session (logout, password change) a fresh session each time.

Documented exclusions: no operation and no check is excluded. Two limits are lifted for this
stack only, because every request comes from one IP address: the API's anonymous throttle
(``API_THROTTLE_ANON_RATE``; tested in ``tests/apipatterns/test_throttling.py``) and allauth's
per-IP login/signup limits (``tests/fuzz/user_service_settings.py``; tested in
``tests/accounts/test_security.py``). 429 stays documented and checked where it still occurs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from services.runner import FILE, TICKET, USER, Stack
from services.user_service.roles import DEFAULT_DEMO_PASSWORD
from tests.fuzz.fuzzing import SESSION_ENDING, fuzz_service, login
from tests.stack_support import start_stack

pytestmark = pytest.mark.stack

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
PASSWORD = DEFAULT_DEMO_PASSWORD
SESSIONS_USER = "fuzz-sessions@example.com"
VICTIM_USER = "fuzz-victim@example.com"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with start_stack(
        tmp_path_factory.mktemp("fuzz"),
        database_prefix="fuzz",
        extra_env={"API_THROTTLE_ANON_RATE": "100000/min", "DEMO_PASSWORD": PASSWORD},
        settings_modules={USER.name: "tests.fuzz.user_service_settings"},
    ) as running:
        yield running


@pytest.fixture(scope="module")
def world(stack: Stack) -> dict[str, Any]:
    """Real objects for the fuzzer to aim at, and the tokens it sends."""
    user_url, ticket_url, file_url = (stack.url(s.name) for s in (USER, TICKET, FILE))
    for email in (SESSIONS_USER, VICTIM_USER):
        signup = {"email": email, "password": PASSWORD}
        requests.post(f"{user_url}/api/v1/auth/signup", json=signup, timeout=60).raise_for_status()
    admin = login(user_url, "admin@example.com", PASSWORD)
    headers = {"X-Session-Token": admin}

    def user_id(email: str) -> str:
        found = requests.get(
            f"{user_url}/api/v1/users", params={"email": email}, headers=headers, timeout=30
        )
        return found.json()["data"][0]["id"]

    victim, agent = user_id(VICTIM_USER), user_id("agent@example.com")

    def new_ticket() -> str:
        created = requests.post(
            f"{ticket_url}/api/v1/tickets",
            json={"title": "fuzz target", "description": "", "assignee_id": agent},
            headers=headers,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        return created.json()["data"]["id"]

    # One ticket for the ticket service's fuzzing (which deletes it), one for the file service.
    ticket_id, files_ticket_id = new_ticket(), new_ticket()
    upload = requests.post(
        f"{file_url}/api/v1/files",
        data={"ticket_id": files_ticket_id},
        files={"file": ("fuzz.txt", b"fuzz", "text/plain")},
        headers=headers,
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    return {
        "admin": admin,
        "user_id": victim,
        "ticket_id": ticket_id,
        "files_ticket_id": files_ticket_id,
        "file_id": upload.json()["data"]["id"],
    }


def _headers_for(stack: Stack, world: dict[str, Any], service_token: str | None):
    user_url = stack.url(USER.name)

    def headers(case: Any) -> dict[str, str]:
        path = case.operation.path
        if path.startswith("/internal/") and service_token:
            return {"Authorization": f"Bearer {service_token}"}
        if path.endswith(SESSION_ENDING):
            return {"X-Session-Token": login(user_url, SESSIONS_USER, PASSWORD)}
        return {"X-Session-Token": world["admin"]}

    return headers


SERVICES = {
    # service -> (token it accepts on /internal/, real values for path/query parameters)
    USER.name: (TICKET.name, {"user_id": "user_id"}),
    TICKET.name: (FILE.name, {"id": "ticket_id"}),
    FILE.name: (None, {"id": "file_id", "ticket_id": "files_ticket_id"}),
}


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_operation_conforms_to_the_schema(stack, world, service):
    caller, fixed_names = SERVICES[service]
    fixed = {param: world[key] for param, key in fixed_names.items()}
    report = fuzz_service(
        stack.url(service),
        _headers_for(stack, world, stack.tokens[caller] if caller else None),
        max_examples=MAX_EXAMPLES,
        fixed=fixed,
    )
    print(f"{service}: {report.operations} operations, {report.calls} calls, {report.statuses}")
    assert report.operations >= 5, "the schema lost its operations"
    assert any(200 <= s < 300 for s in report.statuses), "no request ever succeeded"
    assert not report.failures, f"{service}:\n{report.summary()}"
