"""Security holes of issue 13 (§2, §3, §4, §6), each attack replayed over real HTTP on the stack.

The three services run as real processes (``services.runner.Stack``), on SQLite and local memory
or, in the PostgreSQL pass, on PostgreSQL + Redis, exactly as in ``test_e2e.py``. The user service
trusts one proxy here (``ALLAUTH_TRUSTED_PROXY_COUNT=1``), so each test plays its own client
address through ``X-Forwarded-For``: per-client limits of one test never touch another's, and
every account is new (a lockout never leaks into another module's stack sharing the Redis).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from services.runner import FILE, REPO_ROOT, SERVICES, TICKET, USER, Stack, free_ports
from tests.conftest import IN_CI
from tests.stack_support import recreate_postgres_database, shared_postgres_urls

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-Horse-Battery-42"
NEW_PASSWORD = "Other-Staple-Paper-77"
#: allauth's default login_failed limits: 5 failures per account in 5 minutes, 10 per client
#: address per minute.
ACCOUNT_FAILURES = 5
CLIENT_FAILURES = 10
ACCOUNT_WINDOW = 300


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The three services, migrated, seeded and running until the module ends."""
    data_dir = tmp_path_factory.mktemp("security-stack")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(
        {
            "HTTP_CLIENT_DEADLINE": "4",
            "HTTP_CLIENT_CONNECT_TIMEOUT": "1",
            "HTTP_CLIENT_READ_TIMEOUT": "3",
            "HTTP_CLIENT_RETRIES": "1",
            "HEALTHCHECK_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "text",
            "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
            # Generous API throttles: this module counts allauth's limits, not DRF's.
            "API_THROTTLE_ANON_RATE": "10000/min",
        }
    )
    env.pop("EMAIL_URL", None)  # the runner's default: the file outbox
    databases = shared_postgres_urls("e2e_security")
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


def new_address() -> str:
    """A client address of its own (one of 10.0.0.0/8's 16 million), sent as X-Forwarded-For."""
    value = uuid.uuid4().int
    return f"10.{value % 256}.{(value >> 8) % 256}.{(value >> 16) % 254 + 1}"


class Client:
    """One end client: its own address, optionally a session token."""

    def __init__(self, stack: Stack, address: str | None = None, token: str | None = None):
        self.stack = stack
        self.address = address or new_address()
        self.token = token
        self.http = requests.Session()

    def request(self, method: str, service: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-Forwarded-For": self.address, **kwargs.pop("headers", {})}
        if self.token:
            headers.setdefault("X-Session-Token", self.token)
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        url = f"{self.stack.url(service)}{path}"
        return self.http.request(method, url, headers=headers, **kwargs)


def data(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text[:2000])
    return None if status == 204 else response.json()["data"]


def problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:2000])
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.json()


def signup(stack: Stack, prefix: str = "user") -> str:
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    response = Client(stack).request(
        "POST", USER.name, "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return email


def api_login(client: Client, email: str, password: str) -> requests.Response:
    return client.request(
        "POST", USER.name, "/api/v1/auth/login", json={"email": email, "password": password}
    )


def login(stack: Stack, email: str, password: str = PASSWORD) -> Client:
    client = Client(stack)
    client.token = data(api_login(client, email, password))["token"]
    return client


def manage(stack: Stack, *args: str) -> str:
    """A management command of the user service, with the stack's own environment."""
    result = subprocess.run(
        [sys.executable, "-m", USER.manage_module, *args],
        cwd=REPO_ROOT,
        env=stack.service_env(USER),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def make_staff(stack: Stack, email: str) -> None:
    manage(
        stack,
        "shell",
        "-c",
        "from accounts.models import User; "
        f"User.objects.filter(email={email!r}).update(is_staff=True, is_superuser=True)",
    )


def admin_login(client: Client, email: str, password: str) -> requests.Response:
    """Django admin's login form, as a browser fills it in (CSRF cookie and token)."""
    page = client.request("GET", USER.name, "/admin/login/?next=/admin/")
    assert page.status_code == 200, page.text[:500]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return client.request(
        "POST",
        USER.name,
        "/admin/login/?next=/admin/",
        data={
            "csrfmiddlewaretoken": match.group(1),
            "username": email,
            "password": password,
            "next": "/admin/",
        },
        headers={"Referer": f"{client.stack.url(USER.name)}/admin/login/"},
    )


def admin_logged_in(response: requests.Response) -> bool:
    """The admin form let the user in: a redirect to /admin/ with a session cookie."""
    return response.status_code == 302 and "sessionid" in response.cookies


def password_change(client: Client, current: str) -> requests.Response:
    return client.request(
        "POST",
        USER.name,
        "/api/v1/auth/password/change",
        json={"current_password": current, "new_password": NEW_PASSWORD},
    )


def basic_me(stack: Stack, email: str, password: str) -> requests.Response:
    return Client(stack).request("GET", USER.name, "/api/v1/users/me", auth=(email, password))


# --- §2: every password check behind the one lockout -------------------------------------------


@pytest.mark.parametrize("guessing_path", ["api_login", "password_change", "admin_form"])
def test_wrong_guesses_on_any_password_path_lock_the_account_on_every_path(stack, guessing_path):
    email = signup(stack, guessing_path.replace("_", "-"))
    make_staff(stack, email)  # so that the admin form would let the right password in
    session = login(stack, email)
    attacker = Client(stack, token=session.token)
    for attempt in range(ACCOUNT_FAILURES):
        wrong = f"wrong-Guess-{attempt}-x"
        if guessing_path == "api_login":
            assert problem(api_login(attacker, email, wrong), 400)["code"] == "invalid_credentials"
        elif guessing_path == "password_change":
            response = password_change(attacker, wrong)
            assert response.status_code == 400, response.text
        else:
            assert not admin_logged_in(admin_login(attacker, email, wrong))
    # The right password, from a fresh client address, is refused on every path.
    started = time.monotonic()
    response = api_login(Client(stack), email, PASSWORD)
    refused = problem(response, 429)
    assert refused["code"] == "too_many_attempts"
    retry_after = refused["retry_after"]
    assert str(retry_after) == response.headers["Retry-After"]
    # The real remaining time of the lock (5 minutes from the first failure), not "1".
    elapsed = time.monotonic() - started
    assert ACCOUNT_WINDOW - 60 - elapsed <= retry_after <= ACCOUNT_WINDOW + 1
    assert problem(password_change(Client(stack, token=session.token), PASSWORD), 429)
    assert not admin_logged_in(admin_login(Client(stack), email, PASSWORD))
    assert basic_me(stack, email, PASSWORD).status_code == 401


def test_one_client_guessing_through_admin_and_api_is_refused_on_both(stack):
    client = Client(stack)
    victims = [signup(stack, "victim") for _ in range(CLIENT_FAILURES)]
    for index, victim in enumerate(victims):
        if index % 2:
            assert not admin_logged_in(admin_login(client, victim, "wrong-Guess-x1"))
        else:
            assert api_login(client, victim, "wrong-Guess-x1").status_code == 400
    # Its next try is refused, even with the right password of an account it never guessed at.
    fresh = signup(stack, "fresh")
    make_staff(stack, fresh)
    refused = problem(api_login(client, fresh, PASSWORD), 429)
    assert 1 <= int(refused["retry_after"]) <= 60
    assert not admin_logged_in(admin_login(client, fresh, PASSWORD))
    # Another client is not affected.
    assert data(api_login(Client(stack), fresh, PASSWORD))["token"]


def test_http_basic_is_never_a_way_in_on_any_service(stack):
    email = signup(stack, "basic")
    for spec in SERVICES:
        right = Client(stack).request("GET", spec.name, "/api/schema/", auth=(email, PASSWORD))
        wrong = Client(stack).request("GET", spec.name, "/api/schema/", auth=(email, "nope-x"))
        # The header is not read: the same answer whatever the password (no oracle, no count).
        assert right.status_code == wrong.status_code == 200, (spec.name, wrong.text[:300])
    assert basic_me(stack, email, PASSWORD).status_code == 401
    tickets = Client(stack).request("GET", TICKET.name, "/api/v1/tickets", auth=(email, PASSWORD))
    assert tickets.status_code == 401
    # Basic never counted as a guess: the account still logs in.
    assert data(api_login(Client(stack), email, PASSWORD))["token"]


def test_admin_cookie_is_not_an_api_token_and_an_api_token_is_not_a_cookie(stack):
    email = signup(stack, "staff")
    make_staff(stack, email)
    browser = Client(stack)
    response = admin_login(browser, email, PASSWORD)
    assert admin_logged_in(response), response.text[:500]
    cookie = response.cookies["sessionid"]
    assert browser.request("GET", USER.name, "/admin/").status_code == 200  # the admin works
    as_token = Client(stack, token=cookie)
    assert problem(as_token.request("GET", USER.name, "/api/v1/users/me"), 401)
    assert problem(as_token.request("GET", TICKET.name, "/api/v1/tickets"), 401)
    assert problem(
        as_token.request("GET", FILE.name, f"/api/v1/files?ticket_id={uuid.uuid4()}"), 401
    )
    bearer = Client(stack).request(
        "GET", USER.name, "/api/v1/users/me", headers={"Authorization": f"Bearer {cookie}"}
    )
    assert bearer.status_code == 401
    # An API session token sent as the admin's cookie is no session at all.
    token = login(stack, email).token
    stranger = Client(stack)
    stranger.http.cookies.set("sessionid", token)
    admin_page = stranger.request("GET", USER.name, "/admin/")
    assert admin_page.status_code == 302
    assert "/admin/login/" in admin_page.headers["Location"]
    # The token itself still works on the API.
    assert data(Client(stack, token=token).request("GET", USER.name, "/api/v1/users/me"))


# --- §3: secrets never reach a log -------------------------------------------------------------


def test_a_reset_link_never_reaches_the_log_and_the_outbox_finishes_the_reset(stack):
    email = signup(stack, "reset")
    response = Client(stack).request(
        "POST", USER.name, "/api/v1/auth/password/reset", json={"email": email}
    )
    assert response.status_code == 202, response.text
    outbox = manage(stack, "outbox", "--to", email, "--links")
    links = [line for line in outbox.splitlines() if "/password/reset/" in line]
    assert links, outbox
    key = links[-1].rstrip("/").rsplit("/", 1)[-1]
    log = (stack.log_dir / "user.log").read_text()
    assert key not in log
    assert "/password/reset/" not in log
    assert email not in log  # the message itself (To: …) is not in the log either
    confirm = Client(stack).request(
        "POST",
        USER.name,
        "/api/v1/auth/password/reset/confirm",
        json={"token": key, "new_password": NEW_PASSWORD},
    )
    assert confirm.status_code == 200, confirm.text
    assert data(api_login(Client(stack), email, NEW_PASSWORD))["token"]
    assert Path(stack.service_env(USER)["EMAIL_FILE_PATH"]).is_relative_to(stack.data_dir)


# --- §4: the profile goes through its serializer -------------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"display_name": "lone\ud800surrogate"}, "#/display_name"),
        ({"display_name": "nul\x00byte"}, "#/display_name"),
        ({"first_name": None}, "#/first_name"),
        ({"last_name": ["a", "list"]}, "#/last_name"),
        ({"display_name": True}, "#/display_name"),
        ({"timezone": {"an": "object"}}, "#/timezone"),
    ],
    ids=["surrogate", "nul", "null", "list", "boolean", "object"],
)
def test_profile_patch_refuses_what_is_not_a_clean_string(stack, body, pointer):
    client = login(stack, signup(stack, "profile"))
    before = data(client.request("GET", USER.name, "/api/v1/users/me"))
    response = client.request(
        "PATCH",
        USER.name,
        "/api/v1/users/me",
        data=json.dumps(body),  # ensure_ascii: a lone surrogate goes as \ud800, as attackers send
        headers={"Content-Type": "application/json"},
    )
    body_out = problem(response, 400)
    assert body_out["code"] == "validation_error"
    assert [error["pointer"] for error in body_out["errors"]] == [pointer]
    assert data(client.request("GET", USER.name, "/api/v1/users/me")) == before


# --- §6: policy holes ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def staff(stack: Stack) -> Client:
    return login(
        stack, "agent@example.com", os.environ.get("DEMO_PASSWORD") or "demo-Password-2468"
    )


def test_a_customer_cannot_restore_what_staff_deleted(stack, staff):
    customer = login(stack, signup(stack, "restore"))
    ticket = data(
        customer.request("POST", TICKET.name, "/api/v1/tickets", json={"title": "Mine"}), 201
    )
    path = f"/api/v1/tickets/{ticket['id']}"
    data(staff.request("DELETE", TICKET.name, path), 204)
    refused = problem(customer.request("POST", TICKET.name, f"{path}/restore"), 403)
    assert refused["code"] == "permission_denied"
    assert customer.request("GET", TICKET.name, path).status_code == 404  # still deleted
    assert data(staff.request("POST", TICKET.name, f"{path}/restore"))["id"] == ticket["id"]
    # What customers delete themselves they may bring back.
    data(customer.request("DELETE", TICKET.name, path), 204)
    assert data(customer.request("POST", TICKET.name, f"{path}/restore"))["id"] == ticket["id"]


def test_a_customer_cannot_assign_nor_probe_user_ids(stack, staff):
    customer = login(stack, signup(stack, "probe"))
    me = data(customer.request("GET", USER.name, "/api/v1/users/me"))["id"]
    agent = data(staff.request("GET", USER.name, "/api/v1/users/me"))["id"]
    answers = set()
    for assignee in (str(uuid.uuid4()), me, agent):
        response = customer.request(
            "POST", TICKET.name, "/api/v1/tickets", json={"title": "x", "assignee_id": assignee}
        )
        body = problem(response, 403)
        answers.add((body["code"], body["detail"], json.dumps(body["errors"])))
    assert len(answers) == 1  # the same answer for an unknown id, a customer and an agent
    # Staff still assign.
    ticket = data(
        staff.request(
            "POST", TICKET.name, "/api/v1/tickets", json={"title": "x", "assignee_id": agent}
        ),
        201,
    )
    assert ticket["assignee_id"] == agent


def test_a_huge_description_is_refused_with_a_pointer(stack):
    customer = login(stack, signup(stack, "huge"))
    response = customer.request(
        "POST",
        TICKET.name,
        "/api/v1/tickets",
        json={"title": "big", "description": "x" * 2_500_000},
    )
    body = problem(response, 400)
    assert [error["pointer"] for error in body["errors"]] == ["#/description"]


def test_no_request_ended_in_a_server_error(stack):
    for spec in SERVICES:
        text = (stack.log_dir / f"{spec.slug}.log").read_text()
        errors = re.findall(
            r'^.*"[A-Z]+ [^"]*HTTP/1\.[01]" 500 .*$|^.*internal_error.*$', text, re.M
        )
        assert not errors, (spec.name, errors)
