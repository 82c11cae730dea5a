"""services.runner: the environment each service gets, and the command-line runner end to end."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.runner import (
    FILE,
    SERVICES,
    TICKET,
    TOPOLOGY_ENV,
    TOPOLOGY_FILE,
    USER,
    ServiceSpec,
    Stack,
    TopologyError,
    callers_of,
    free_ports,
    load_topology,
    parse_service_tokens,
    per_service_database_url,
    stack_from_args,
)

ROOT = Path(__file__).resolve().parents[2]


def test_per_service_database_url_appends_the_service():
    assert (
        per_service_database_url("postgres://u:p@db:5432/suite?sslmode=disable", "ticket")
        == "postgres://u:p@db:5432/suite_ticket?sslmode=disable"
    )


def test_databases_default_to_sqlite_files_in_the_data_dir(tmp_path):
    stack = Stack(env={}, data_dir=tmp_path)
    assert {spec.name: stack.database_url(spec) for spec in SERVICES} == {
        spec.name: f"sqlite:///{tmp_path / f'{spec.slug}.sqlite3'}" for spec in SERVICES
    }


def test_postgres_database_url_gives_each_service_its_own_database(tmp_path):
    env = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/suite",
        "FILE_SERVICE_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/files_elsewhere",
    }
    stack = Stack(env=env, data_dir=tmp_path)
    assert stack.database_url(USER).endswith("/suite_user")
    assert stack.database_url(TICKET).endswith("/suite_ticket")
    assert stack.database_url(FILE).endswith("/files_elsewhere")
    assert stack.service_env(TICKET)["DATABASE_URL"].endswith("/suite_ticket")


def test_services_are_wired_to_each_other(tmp_path):
    stack = Stack(
        env={"SERVICE_AUTH_TOKEN": "inherited"},
        data_dir=tmp_path,
        ports={USER.name: 9101, TICKET.name: 9102, FILE.name: 9103},
    )
    user, ticket, file = (stack.service_env(spec) for spec in (USER, TICKET, FILE))
    assert "SERVICE_AUTH_TOKEN" not in user
    accepted = dict(item.split("=", 1) for item in user["ACCEPTED_SERVICE_TOKENS"].split(","))
    assert accepted == {
        TICKET.name: ticket["SERVICE_AUTH_TOKEN"],
        FILE.name: file["SERVICE_AUTH_TOKEN"],
    }
    assert ticket["SERVICE_AUTH_TOKEN"] != file["SERVICE_AUTH_TOKEN"]
    assert len(ticket["SERVICE_AUTH_TOKEN"]) >= 32
    assert ticket["ACCEPTED_SERVICE_TOKENS"] == f"{FILE.name}={file['SERVICE_AUTH_TOKEN']}"
    for env in (user, ticket, file):
        assert env["IDENTITY_SERVICE_URL"] == "http://127.0.0.1:9101"
        assert env["TICKET_SERVICE_URL"] == "http://127.0.0.1:9102"
    assert json.loads(ticket["HEALTHCHECK_DEPENDENCIES"]) == {
        USER.name: "http://127.0.0.1:9101/health"
    }
    assert set(json.loads(file["HEALTHCHECK_DEPENDENCIES"])) == {USER.name, TICKET.name}
    assert file["MEDIA_ROOT"] == str(tmp_path / "files")
    assert [env["PORT"] for env in (user, ticket, file)] == ["9101", "9102", "9103"]


def test_tokens_from_the_environment_win(tmp_path):
    stack = Stack(env={"TICKET_SERVICE_TOKEN": "t" * 40}, data_dir=tmp_path)
    assert stack.service_env(TICKET)["SERVICE_AUTH_TOKEN"] == "t" * 40


def test_accepted_service_tokens_from_the_environment_are_kept_beside_the_topologys(tmp_path):
    # A service started outside the runner joins the stack: its token, set in the environment
    # for every service or for one, is accepted next to the callers the topology names.
    env = {
        "ACCEPTED_SERVICE_TOKENS": "report-service=r, ticket-service=stale",
        "USER_SERVICE_ACCEPTED_SERVICE_TOKENS": "billing-service=b",
    }
    stack = Stack(env=env, data_dir=tmp_path)
    user = parse_service_tokens(stack.service_env(USER)["ACCEPTED_SERVICE_TOKENS"])
    ticket = parse_service_tokens(stack.service_env(TICKET)["ACCEPTED_SERVICE_TOKENS"])
    file = parse_service_tokens(stack.service_env(FILE)["ACCEPTED_SERVICE_TOKENS"])
    assert user == {
        "report-service": "r",
        "billing-service": "b",
        # The runner's ticket service sends the runner's token, so that one is accepted.
        TICKET.name: stack.tokens[TICKET.name],
        FILE.name: stack.tokens[FILE.name],
    }
    assert ticket == {
        "report-service": "r",
        TICKET.name: "stale",
        FILE.name: stack.tokens[FILE.name],
    }
    assert file == {"report-service": "r", TICKET.name: "stale"}


def test_the_runner_runs_the_topology_file():
    assert load_topology(TOPOLOGY_FILE) == SERVICES
    assert [spec.name for spec in SERVICES] == [USER.name, TICKET.name, FILE.name]
    assert callers_of(USER) == [TICKET.name, FILE.name]
    assert callers_of(TICKET) == [FILE.name]
    assert callers_of(FILE) == []
    # No second copy: the runner's source names no service port.
    source = (ROOT / "services" / "runner.py").read_text()
    for spec in SERVICES:
        assert str(spec.default_port) not in source


def test_a_service_added_to_the_topology_is_wired_by_the_runner(tmp_path):
    topology = tmp_path / "topology.toml"
    topology.write_text(
        TOPOLOGY_FILE.read_text()
        + """
[[service]]
name = "report-service"
package = "services.report_service"
port = 8004
slug = "report"
calls = ["user-service", "ticket-service"]
ready = ["user-service"]
"""
    )
    services = load_topology(topology)
    report = services[-1]
    assert report == ServiceSpec(
        "report-service",
        "services.report_service",
        8004,
        "report",
        calls=("user-service", "ticket-service"),
        ready=("user-service",),
    )
    stack = Stack(env={}, data_dir=tmp_path, services=services)
    env = stack.service_env(report)
    assert env["PORT"] == "8004"
    assert env["SERVICE_AUTH_TOKEN"] == stack.tokens[report.name]
    assert json.loads(env["HEALTHCHECK_DEPENDENCIES"]) == {
        USER.name: "http://127.0.0.1:8001/health"
    }
    for callee in (USER, TICKET):
        accepted = parse_service_tokens(stack.service_env(callee)["ACCEPTED_SERVICE_TOKENS"])
        assert accepted[report.name] == stack.tokens[report.name]
    assert report.name not in parse_service_tokens(
        stack.service_env(FILE)["ACCEPTED_SERVICE_TOKENS"]
    )
    assert "report-service" in stack.banner()


def test_the_command_line_runner_reads_another_topology_file(tmp_path, monkeypatch):
    topology = tmp_path / "topology.toml"
    topology.write_text(
        TOPOLOGY_FILE.read_text()
        + '\n[[service]]\nname = "report-service"\npackage = "report_service"\nport = 8004\n'
        'slug = "report"\ncalls = ["user-service"]\n'
    )
    monkeypatch.delenv(TOPOLOGY_ENV, raising=False)
    assert stack_from_args([]).services == SERVICES
    stack = stack_from_args(["--topology", str(topology), "--report-port", "38004"])
    assert [spec.name for spec in stack.services][-1] == "report-service"
    assert stack.ports["report-service"] == 38004
    monkeypatch.setenv(TOPOLOGY_ENV, str(topology))
    assert stack_from_args([]).ports["report-service"] == 8004
    monkeypatch.setenv(TOPOLOGY_ENV, str(tmp_path / "nowhere.toml"))
    with pytest.raises(OSError, match=r"nowhere\.toml"):
        stack_from_args([])
    topology.write_text("[[service]\n")
    with pytest.raises(TopologyError, match=r"topology\.toml"):
        stack_from_args(["--topology", str(topology)])


def test_a_topology_that_cannot_start_is_refused(tmp_path):
    service = '[[service]]\nname = "{name}"\npackage = "p"\nport = {port}\nslug = "{name}"\n'
    cases = {
        "calls or checks 'b'": service.format(name="a", port=1)
        + 'calls = ["b"]\n'
        + service.format(name="b", port=2),
        "default_port 1 is used twice": service.format(name="a", port=1)
        + service.format(name="b", port=1),
        "lacks package": '[[service]]\nname = "a"\nport = 1\nslug = "a"\n',
        "no [[service]] table": "",
    }
    for message, text in cases.items():
        path = tmp_path / "topology.toml"
        path.write_text(text)
        try:
            load_topology(path)
        except TopologyError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"accepted a topology where {message}")


def test_mail_goes_to_an_outbox_under_the_data_dir_never_the_console(tmp_path):
    stack = Stack(env={"EMAIL_URL": ""}, data_dir=tmp_path)
    for spec in SERVICES:
        env = stack.service_env(spec)
        assert env["EMAIL_URL"] == "filemail://"
        assert env["EMAIL_FILE_PATH"] == str(tmp_path.resolve() / "mail")
    assert str(tmp_path.resolve() / "mail") in stack.banner()
    assert "manage outbox" in stack.banner()
    explicit = Stack(env={"EMAIL_FILE_PATH": str(tmp_path / "box")}, data_dir=tmp_path)
    assert explicit.service_env(USER)["EMAIL_FILE_PATH"] == str((tmp_path / "box").resolve())


def test_banner_names_every_address_and_the_demo_logins(tmp_path):
    stack = Stack(
        env={"DEMO_PASSWORD": "pw-for-test-123"}, data_dir=tmp_path, ports={USER.name: 9201}
    )
    banner = stack.banner()
    for spec in SERVICES:
        assert stack.url(spec.name) in banner
    for email in ("admin@example.com", "agent@example.com", "customer@example.com"):
        assert email in banner
    assert "pw-for-test-123" in banner and "http://127.0.0.1:9201/api/v1/auth/login" in banner


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _snapshot(directory: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``directory``: modification time and content hash."""
    return {
        str(path.relative_to(directory)): (
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "logs" not in path.parts
    }


def _second_runner_refuses_and_touches_nothing(
    data_dir: Path, ports: list[int], first_pid: int, env: dict[str, str]
) -> None:
    args = [f"--{spec.slug}-port={port}" for spec, port in zip(SERVICES, ports, strict=True)]
    before = _snapshot(data_dir)
    # The same data directory: the first runner's lock says who holds it.
    second = subprocess.run(
        [sys.executable, "-m", "services.runner", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert f"already running (runner PID {first_pid})" in second.stderr, second.stderr
    assert "Migrating" not in second.stdout and "is up" not in second.stdout
    assert _snapshot(data_dir) == before  # no migration, no collectstatic on live files
    # Another data directory, the same ports: the port in use is named; the directory is
    # not even created.
    elsewhere = data_dir.parent / f"{data_dir.name}-second"
    third = subprocess.run(
        [sys.executable, "-m", "services.runner", "--data-dir", str(elsewhere), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert third.returncode == 1
    assert f"Port {ports[0]} (user-service) on 127.0.0.1 is already in use" in third.stderr
    assert not elsewhere.exists()
    assert _snapshot(data_dir) == before
    for port in ports:  # the first stack still serves
        assert _get(f"http://127.0.0.1:{port}/health") == 200


def test_command_line_runner_starts_prints_and_stops_on_ctrl_c(tmp_path):
    ports = free_ports(3)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    args = [f"--{spec.slug}-port={port}" for spec, port in zip(SERVICES, ports, strict=True)]
    process = subprocess.Popen(
        [sys.executable, "-m", "services.runner", "--data-dir", str(tmp_path), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 180
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if "Ctrl-C stops all three" in line or time.monotonic() > deadline:
                break
        text = "".join(output)
        assert "The demo stack is up" in text, text
        for port in ports:
            assert f"http://127.0.0.1:{port}" in text
            assert _get(f"http://127.0.0.1:{port}/health") == 200
        assert "customer@example.com" in text
        # Migrated and seeded: one SQLite file per service.
        assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == [
            "file.sqlite3",
            "ticket.sqlite3",
            "user.sqlite3",
        ]
        # The admin has its CSS: static files collected and served by each service.
        for port in ports:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/static/admin/css/base.css", timeout=5
            ) as css:
                assert css.status == 200
                assert css.headers["Content-Type"].startswith("text/css")
        assert "No directory at" not in text
        _second_runner_refuses_and_touches_nothing(tmp_path, ports, process.pid, env)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, text + rest
    assert "Stopped." in rest
    for port in ports:
        assert not _listening(port), f"something still listens on {port}"


def test_services_run_development_settings_with_debug_off_unless_the_environment_says(tmp_path):
    stack = Stack(env={}, data_dir=tmp_path)
    for spec in SERVICES:
        env = stack.service_env(spec)
        assert (env["DJANGO_ENV"], env["DEBUG"]) == ("development", "False")
    production = Stack(env={"DJANGO_ENV": "production"}, data_dir=tmp_path)
    assert {production.service_env(spec)["DJANGO_ENV"] for spec in SERVICES} == {"production"}
