"""accounts.authentication against real HTTP: the identity service runs for real (live server),
or a local HTTP server plays it when a test needs to script its answers."""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIRequestFactory
from werkzeug import Response

from accounts import revocation, services
from accounts.authentication import (
    RemoteSessionAuthentication,
    ServiceTokenAuthentication,
    _identity_client,
    match_service_token,
)
from accounts.roles import assign_role
from shared_core import http as clients
from tests.accounts.conftest import PASSWORD, SERVICE_TOKEN, auth

# Issue 4 (shared_core.http.HTTPClient) lands separately; these run as soon as it is on main.
needs_http_client = pytest.mark.skipif(
    not hasattr(clients, "HTTPClient"), reason="shared_core.http.HTTPClient not merged yet"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def identity(settings, httpserver):
    """A scripted identity service; ``identity(answer, status)`` sets its introspection reply."""
    settings.IDENTITY_SERVICE_URL = httpserver.url_for("/")
    settings.SERVICE_AUTH_TOKEN = SERVICE_TOKEN

    revocation.feed_reader.forget()

    def answer(body, status=200):
        httpserver.clear()
        httpserver.expect_request("/internal/v1/introspect", method="POST").respond_with_data(
            json.dumps(body), status=status, content_type="application/json"
        )
        httpserver.expect_request(f"/{revocation.FEED_PATH}", method="GET").respond_with_handler(
            lambda request: Response(
                json.dumps({"data": {"now": time.time(), "reset": False, "revoked": []}}),
                content_type="application/json",
            )
        )
        return httpserver

    return answer


def introspections(server) -> int:
    """How many introspection calls the scripted identity service received."""
    return sum(1 for request, _ in server.log if request.path == "/internal/v1/introspect")


def active(expires_in=600, roles=("customer",)):
    expires_at = (datetime.now(tz=UTC) + timedelta(seconds=expires_in)).isoformat()
    user = {"id": "u-1", "email": "ann@example.com", "roles": list(roles)}
    return {"data": {"active": True, "user": user, "expires_at": expires_at}}


# --- ServiceTokenAuthentication -------------------------------------------------------------
def test_service_token_names_the_calling_service(settings):
    settings.ACCEPTED_SERVICE_TOKENS = {"ticket-service": "t" * 43, "file-service": "f" * 43}
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {'f' * 43}")
    principal, _ = ServiceTokenAuthentication().authenticate(request)
    assert principal.is_service and principal.name == "file-service"
    assert principal.id == "service:file-service" and principal.roles == frozenset()
    assert match_service_token("t" * 42) is None
    assert match_service_token("t" * 44) is None
    assert match_service_token("") is None
    assert ServiceTokenAuthentication().authenticate(APIRequestFactory().get("/")) is None


def test_service_tokens_come_from_the_environment():
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings.dev",
        "ACCEPTED_SERVICE_TOKENS": "ticket-service=abc,file-service=def",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings as s; "
            "print(sorted(s.ACCEPTED_SERVICE_TOKENS.items()))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "[('file-service', 'def'), ('ticket-service', 'abc')]"


@pytest.mark.django_db
def test_tokens_never_reach_the_logs(api, user, log_output):
    stream = log_output("text", level="DEBUG")
    token = services.login("ann@example.com", PASSWORD).token
    api.get("/api/v1/users/me", **auth(token))
    api.post(
        "/internal/v1/introspect",
        {"token": token},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {SERVICE_TOKEN}",
    )
    api.post(
        "/internal/v1/introspect",
        {"token": token},
        format="json",
        HTTP_AUTHORIZATION="Bearer not-the-right-service-token",
    )
    output = stream.getvalue()
    assert output  # the requests were logged...
    for secret in (token, SERVICE_TOKEN, "not-the-right-service-token", PASSWORD):
        assert secret not in output  # ...without any secret


def test_generate_service_token_prints_256_random_bits(capsys):
    import base64

    call_command("generate_service_token")
    first = capsys.readouterr().out.strip()
    call_command("generate_service_token", name="ticket-service")
    second_lines = capsys.readouterr().out.strip().splitlines()
    assert len(base64.urlsafe_b64decode(first + "=")) == 32
    assert second_lines[0] != first
    assert second_lines[1] == f"ACCEPTED_SERVICE_TOKENS entry: ticket-service={second_lines[0]}"


# --- RemoteSessionAuthentication: the real identity service ---------------------------------
@pytest.fixture
def identity_live_server(live_server, settings):
    """The live server as the identity service. Afterwards the identity client's pooled
    keep-alive connection to it is closed, so the server's request thread ends now, while the
    server shares the test database with it; left open, the thread ended at interpreter exit
    and died closing a database connection it may no longer share ("Exception in thread …
    process_request_thread" after a green run)."""
    settings.IDENTITY_SERVICE_URL = live_server.url
    yield live_server
    _identity_client(settings.IDENTITY_SERVICE_URL, settings.SERVICE_AUTH_TOKEN).close()


@needs_http_client
@pytest.mark.django_db(transaction=True)
def test_remote_authentication_against_the_real_identity_service(
    api, identity_live_server, settings
):
    settings.SERVICE_AUTH_TOKEN = SERVICE_TOKEN
    settings.IDENTITY_CACHE_TTL = 0  # every request asks the identity service
    user = services.create_user("ann@example.com", PASSWORD)
    assign_role(user, "agent")
    token = services.login("ann@example.com", PASSWORD).token

    response = api.get("/remote/whoami", **auth(token))
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {
        "id": str(user.pk),
        "email": "ann@example.com",
        "roles": ["agent"],
    }
    assert api.get("/remote/agents", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    services.logout(token)
    response = api.get("/remote/whoami", **auth(token))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_session"
    assert api.get("/remote/whoami").status_code == 401


@needs_http_client
@pytest.mark.django_db(transaction=True)
def test_a_service_token_the_identity_service_refuses_is_502_misconfigured_naming_the_variable(
    api, identity_live_server, settings, caplog
):
    settings.SERVICE_AUTH_TOKEN = "not-accepted-by-the-identity-service"
    api.raise_request_exception = False  # a 5xx is reported as a server error: not re-raised
    services.create_user("ann@example.com", PASSWORD)
    token = services.login("ann@example.com", PASSWORD).token
    with caplog.at_level(logging.ERROR, logger="accounts.authentication"):
        response = api.get("/remote/whoami", **auth(token))
    assert response.status_code == 502
    assert response.json()["code"] == "upstream_misconfigured"
    assert "try again" not in response.json()["detail"]
    (line,) = [r.getMessage() for r in caplog.records if r.name == "accounts.authentication"]
    assert "SERVICE_AUTH_TOKEN" in line and "ACCEPTED_SERVICE_TOKENS" in line
    assert "not-accepted-by-the-identity-service" not in line


@needs_http_client
@pytest.mark.parametrize("status", [401, 403])
def test_identity_service_refusing_our_token_is_502_not_unavailable(api, identity, status):
    identity({"detail": "bad service token"}, status)
    api.raise_request_exception = False  # a 5xx is reported as a server error: not re-raised
    response = api.get("/remote/whoami", **auth("d" * 32))
    assert response.status_code == 502
    assert response.json()["code"] == "upstream_misconfigured"


# --- RemoteSessionAuthentication: scripted answers ------------------------------------------
@needs_http_client
def test_only_active_answers_are_cached(api, identity):
    server = identity(active())
    for _ in range(3):
        assert api.get("/remote/whoami", **auth("a" * 32)).status_code == 200
    assert introspections(server) == 1

    server = identity({"data": {"active": False, "user": None, "expires_at": None}})
    for _ in range(2):
        assert api.get("/remote/whoami", **auth("b" * 32)).status_code == 401
    assert introspections(server) == 2


def test_cache_ttl_is_capped_by_the_setting_and_the_session_deadline(settings):
    settings.IDENTITY_CACHE_TTL = 30
    auth_class = RemoteSessionAuthentication()
    assert auth_class._cache_ttl(active(expires_in=600)["data"]) == 30
    assert auth_class._cache_ttl(active(expires_in=5)["data"]) in (4, 5)
    assert auth_class._cache_ttl(active(expires_in=-5)["data"]) == 0
    settings.IDENTITY_CACHE_TTL = 0
    assert auth_class._cache_ttl(active()["data"]) == 0


@needs_http_client
def test_cached_answer_expires_with_the_ttl(api, identity, settings):
    settings.IDENTITY_CACHE_TTL = 1
    server = identity(active())
    api.get("/remote/whoami", **auth("c" * 32))
    time.sleep(1.1)
    api.get("/remote/whoami", **auth("c" * 32))
    assert introspections(server) == 2


def test_cache_keys_do_not_hold_the_token():
    key = RemoteSessionAuthentication.cache_key("secret-session-token")
    assert "secret-session-token" not in key


@needs_http_client
@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"error": "boom"}, 500),
        ({"data": {"no": "active flag"}}, 200),
        ("not an object", 200),
        ({"retry": "later"}, 503),
    ],
)
def test_identity_service_errors_fail_closed_with_503(api, identity, body, status):
    identity(body, status)
    api.raise_request_exception = False  # a 503 is reported as a server error: not re-raised here
    response = api.get("/remote/whoami", **auth("d" * 32))
    assert response.status_code == 503
    assert response.json()["code"] == "upstream_unavailable"


@needs_http_client
def test_identity_service_down_is_503_never_401_or_let_in(api, settings):
    settings.IDENTITY_SERVICE_URL = f"http://127.0.0.1:{free_port()}"
    api.raise_request_exception = False  # a 503 is reported as a server error: not re-raised here
    response = api.get("/remote/whoami", **auth("e" * 32))
    assert response.status_code == 503
    assert response.json()["code"] == "upstream_unavailable"


@needs_http_client
def test_remote_roles_drive_has_role(api, identity):
    identity(active(roles=("customer",)))
    assert api.get("/remote/agents", **auth("f" * 32)).status_code == 403
    identity(active(roles=("agent",)))
    assert api.get("/remote/agents", **auth("g" * 32)).status_code == 200


# --- RemoteSessionAuthentication: the failed-authentication budget ---------------------------
@pytest.fixture
def budget_of_three(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}),
            "auth_failure": "3/min",
        },
    }


@needs_http_client
def test_made_up_tokens_get_401s_then_429s_without_asking_the_identity_service(
    api, identity, budget_of_three
):
    server = identity({"data": {"active": False, "user": None, "expires_at": None}})
    statuses = [api.get("/remote/whoami", **auth(f"{n:032d}")).status_code for n in range(6)]
    assert statuses == [401, 401, 401, 429, 429, 429]
    assert introspections(server) == 3
    throttled = api.get("/remote/whoami", **auth("9" * 32))
    assert throttled["Content-Type"].startswith("application/problem+json")
    assert throttled.json()["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 60
    # Another client address has its own budget.
    other = api.get("/remote/whoami", REMOTE_ADDR="10.0.0.9", **auth("8" * 32))
    assert other.status_code == 401


@needs_http_client
def test_live_tokens_give_their_budget_back(api, identity, budget_of_three):
    server = identity(active())
    for n in range(6):
        assert api.get("/remote/whoami", **auth(f"{n:032d}")).status_code == 200
    assert introspections(server) == 6


@needs_http_client
@pytest.mark.parametrize("token", ["UPPER" * 7, "has space in it 1234", "x" * 600, "short"])
def test_tokens_that_cannot_be_session_keys_are_refused_without_introspection(api, identity, token):
    server = identity(active())
    response = api.get("/remote/whoami", **auth(token))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_session"
    assert introspections(server) == 0


@needs_http_client
def test_the_client_address_goes_along_with_the_introspection(api, identity):
    server = identity(active())
    api.get("/remote/whoami", REMOTE_ADDR="203.0.113.7", **auth("h" * 32))
    (request, _), *_ = [entry for entry in server.log if entry[0].path.endswith("introspect")]
    assert json.loads(request.data) == {"token": "h" * 32, "client_ip": "203.0.113.7"}
