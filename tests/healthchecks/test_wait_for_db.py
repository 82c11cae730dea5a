"""``wait_for_db``: bounded wait for the database, on real databases and a real closed port."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.servers import ROOT, process_env


def run_command(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", "wait_for_db", *args],
        env=process_env(DJANGO_SETTINGS_MODULE="settings.test", **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db
def test_returns_at_once_when_the_database_is_up(caplog):
    with caplog.at_level("INFO", logger="healthchecks.wait_for_db"):
        call_command("wait_for_db", "--timeout", "10")
    assert "Database 'default' is up (attempt 1)." in caplog.messages


def test_every_line_it_prints_is_in_the_log_format(tmp_path):
    # The container entrypoint runs it first: under LOG_FORMAT=json its lines are JSON too.
    result = run_command(
        "--timeout", "10", "-v", "2", LOG_FORMAT="json", DATABASE_URL=f"sqlite:///{tmp_path}/db"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines
    records = [json.loads(line) for line in lines]
    assert records[-1]["message"] == "Database 'default' is up (attempt 1)."


def test_gives_up_after_its_timeout_without_leaking_the_password(closed_port):
    url = f"postgres://app:pw-s3cret@127.0.0.1:{closed_port}/app"

    started = time.monotonic()
    result = run_command("--timeout", "1.5", "--interval", "0.2", DATABASE_URL=url)
    elapsed = time.monotonic() - started

    assert result.returncode == 1
    assert "Database 'default' is not reachable after 1.5 s" in result.stderr
    assert "OperationalError" in result.stderr
    assert "pw-s3cret" not in result.stdout + result.stderr
    # Bounded: the process ends soon after --timeout (wide margin for Python start-up).
    assert elapsed < 20


def test_waits_until_the_database_appears(tmp_path):
    # SQLite cannot open a file in a directory that does not exist yet: the "database" comes up
    # when the test creates the directory, after the command has reported a failed attempt.
    directory = tmp_path / "later"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "django",
            "wait_for_db",
            "--timeout",
            "60",
            "--interval",
            "0.2",
            "-v",
            "2",
        ],
        env=process_env(
            DJANGO_SETTINGS_MODULE="settings.test",
            DATABASE_URL=f"sqlite:///{directory / 'db.sqlite3'}",
        ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_failure = process.stderr.readline()
        assert "Database 'default' not ready yet: OperationalError" in first_failure
        directory.mkdir()
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0
    attempts = int(stderr.split("(attempt ")[1].split(")")[0])
    assert attempts > 1, stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--timeout", "0"), "must be positive"),
        (("--interval", "-1"), "must be positive"),
        (("--database", "nope"), "Unknown database alias(es): nope"),
    ],
)
def test_rejects_bad_arguments(args, message):
    with pytest.raises(CommandError) as raised:
        call_command("wait_for_db", *args)
    assert message in str(raised.value)
