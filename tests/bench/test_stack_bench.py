"""bench/stack_bench.py still runs: the stack starts, every row is printed, no request fails.

Figures are not checked (see bench/README.md); the smoke mode loads each row for a second.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.stack_bench import Call, multipart, run_python
from tests.servers import StubServer

ROOT = Path(__file__).resolve().parents[2]
ROWS = (
    "bare DRF view (ticket worker)",
    "GET /health (ticket)",
    "ticket list (authenticated)",
    "ticket create (+user hop)",
    "file upload 2 KB (+ticket hop)",
)


@pytest.mark.e2e
def test_the_stack_bench_prints_every_row_without_errors():
    result = subprocess.run(
        [sys.executable, "-m", "bench.stack_bench", "--smoke"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("Stack: 3 services") for line in lines)
    for label in ROWS:
        (row,) = [line for line in lines if line.strip().startswith(label)]
        columns = row.strip()[len(label) :].split()
        assert float(columns[0]) > 0, row  # req/s
        assert columns[6] == "0", row  # errors
    assert lines[-1] == "errors: 0"


def test_the_python_load_generator_counts_requests_and_failures(tmp_path):
    with StubServer(status=200) as ok, StubServer(status=503) as failing:
        good = run_python(Call("ok", f"{ok.url}/health"), 0.3, 2, tmp_path)
        bad = run_python(Call("bad", f"{failing.url}/health"), 0.3, 2, tmp_path)

    assert good.requests == len(ok.requests) > 0 and good.errors == 0
    assert 0 < good.p50_ms <= good.p99_ms
    assert bad.errors == bad.requests > 0 and bad.error_detail.startswith("HTTP 503")


def test_multipart_bodies_carry_the_fields_and_the_file():
    content_type, body = multipart({"ticket_id": "t-1"}, "file", "note.txt", b"x" * 10)

    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="ticket_id"\r\n\r\nt-1\r\n' in body
    assert b'filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nxxxxxxxxxx\r\n' in body
