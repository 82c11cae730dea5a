"""deploy/gunicorn.conf.py: every value from the environment, logging through LOGGING."""

from __future__ import annotations

import runpy

import pytest
from django.conf import settings
from gunicorn.glogging import Logger

from tests.deploy.conftest import production_env
from tests.deploy.test_entrypoint import run
from tests.servers import ROOT

CONFIG = str(ROOT / "deploy" / "gunicorn.conf.py")


def load(monkeypatch, **env: str) -> dict:
    for name in ("WSGI_APP", "HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONFIG)


def test_defaults(monkeypatch):
    config = load(monkeypatch)

    assert config["wsgi_app"] == "settings.wsgi:application"
    assert config["bind"] == ["0.0.0.0:8000"]
    assert config["workers"] == 2
    assert config["worker_class"] == "gthread"
    assert config["threads"] == 4


def test_values_come_from_the_environment(monkeypatch):
    config = load(
        monkeypatch,
        WSGI_APP="services.user_service.wsgi:application",
        HOST="127.0.0.1",
        PORT="8001",
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="8",
    )

    assert config["wsgi_app"] == "services.user_service.wsgi:application"
    assert config["bind"] == ["127.0.0.1:8001"]
    assert config["workers"] == 5
    assert config["threads"] == 8


def test_gunicorn_logs_through_the_application_logging(monkeypatch):
    logconfig = load(monkeypatch)["logconfig_dict"]

    assert logconfig["handlers"] == settings.LOGGING["handlers"]
    assert logconfig["formatters"] == settings.LOGGING["formatters"]
    assert logconfig["loggers"]["gunicorn.error"]["handlers"] == []
    assert logconfig["loggers"]["gunicorn.error"]["propagate"] is True


def test_gunicorn_writes_no_access_log(monkeypatch):
    # The application's request log is the one line per request (issue 17).
    config = load(monkeypatch)
    logger = config["logger_class"]
    assert issubclass(logger, Logger)
    assert logger.access_log_enabled.fget(None) is False
    assert config["logconfig_dict"]["loggers"]["gunicorn.access"]["propagate"] is False


@pytest.mark.parametrize(
    ("variable", "value"), [("WEB_CONCURRENCY", "many"), ("PORT", "0"), ("GUNICORN_THREADS", "-2")]
)
def test_gunicorn_refuses_nonsense_settings(dockerfile, variable, value):
    env = production_env(dockerfile, **{"PORT": "8000", variable: value})
    result = run(["gunicorn", "--config", "deploy/gunicorn.conf.py", "--check-config"], env, 60)

    assert result.returncode != 0
    assert variable in result.stdout + result.stderr


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (gunicorn closes after an error)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (
            b"GET /health?" + b"q" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            414,
            "uri_too_long",
        ),
        (
            b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "bad_request"),
    ],
    ids=["request-line-too-long", "header-too-large", "malformed"],
)
def test_requests_gunicorn_refuses_get_problem_json_not_html(
    gunicorn_server, request_bytes, status, code
):
    """Found by fuzzing: a long query string got gunicorn's HTML 414 page, outside the schema."""
    import json

    answer_status, headers, body = _raw(gunicorn_server, request_bytes)

    assert answer_status == status
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["code"] == code and problem["status"] == status
    assert "9000" not in problem["detail"] and "<" not in body.decode()


def test_one_line_per_request_and_never_a_query_string(gunicorn_run):
    """docs/security.md: query strings (tokens, reset keys, emails) stay out of every log;
    the request log is the one line per request (gunicorn's access log is off)."""
    import time
    import urllib.request
    import uuid

    port, log = gunicorn_run
    request_id = f"access-{uuid.uuid4().hex}"
    secret = uuid.uuid4().hex
    url = (
        f"http://127.0.0.1:{port}/health?session_token={secret}&k={secret}"
        f"&email=victim%40example.com&next=/x"
    )
    request = urllib.request.Request(url, headers={"X-Request-ID": request_id})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    deadline = time.monotonic() + 10
    lines: list[str] = []
    while not lines and time.monotonic() < deadline:
        lines = [
            line
            for line in log.read_text(errors="replace").splitlines()
            if request_id in line and "apipatterns.requests" in line
        ]
        time.sleep(0.1)
    assert lines, log.read_text()[-2000:]
    assert len(lines) == 1
    assert "GET /health 200 " in lines[0] and "remote=127.0.0.1" in lines[0]
    text = log.read_text(errors="replace")
    assert "gunicorn.access" not in text
    assert len([line for line in text.splitlines() if request_id in line]) == 1
    assert secret not in text
    assert "victim" not in text


@pytest.fixture(scope="module")
def gunicorn_server(gunicorn_run):
    """The port of the gunicorn server below."""
    return gunicorn_run[0]


@pytest.fixture(scope="module")
def gunicorn_run(tmp_path_factory):
    """The image's gunicorn config serving the suite's test project on a free loopback port.

    Yields the port and the file the server's output (its log) goes to.
    """
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="settings.test",
        WSGI_APP="settings.wsgi:application",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('gunicorn') / 'db.sqlite3'}",
    )
    log = tmp_path_factory.mktemp("gunicorn-log") / "out.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", CONFIG],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)
