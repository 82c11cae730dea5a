"""``probe``: the container HEALTHCHECK's client, against real local HTTP servers."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from healthchecks.management.commands.probe import probe_host


def test_probe_exits_0_on_200_and_sends_an_allowed_host(stub_server, settings, capsys):
    settings.ALLOWED_HOSTS = [".example.com", "api.example.com"]
    server = stub_server(status=200)
    port = server.server.server_address[1]

    call_command("probe", "/health", "--port", str(port))

    assert capsys.readouterr().out.startswith("200 ")
    (request,) = server.requests
    assert request["path"] == "/health"
    assert request["Host"] == "example.com"


@pytest.mark.parametrize("status", [500, 503, 404])
def test_probe_exits_1_on_any_other_status(stub_server, status):
    port = stub_server(status=status).server.server_address[1]
    with pytest.raises(SystemExit) as exited:
        call_command("probe", "/ready", "--port", str(port))
    assert exited.value.code == 1


def test_probe_exits_1_when_nothing_listens(closed_port, capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("probe", "--port", str(closed_port), "--timeout", "2")
    assert exited.value.code == 1
    assert "is not reachable" in capsys.readouterr().err


def test_probe_exits_1_when_the_server_hangs(stub_server):
    port = stub_server(hang=True).server.server_address[1]
    with pytest.raises(SystemExit) as exited:
        call_command("probe", "--port", str(port), "--timeout", "0.5")
    assert exited.value.code == 1


def test_probe_rejects_a_path_without_leading_slash():
    with pytest.raises(CommandError, match="must start with '/'"):
        call_command("probe", "health")


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [(["*"], "localhost"), ([], "localhost"), (["*", "svc.internal"], "svc.internal")],
)
def test_probe_host(settings, allowed, expected):
    settings.ALLOWED_HOSTS = allowed
    assert probe_host() == expected
