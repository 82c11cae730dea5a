"""tests/fuzz/fuzzing.py: the driver reports what the checks find (so the fuzz tests can fail)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fuzz.fuzzing import fuzz_service

SCHEMA = {
    "openapi": "3.0.3",
    "info": {"title": "broken", "version": "1"},
    "paths": {
        "/api/v1/things/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["data"],
                                    "properties": {"data": {"type": "integer"}},
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}


class Broken(BaseHTTPRequestHandler):
    """Answers ``/things/7`` with a body that breaks the schema, everything else with a 500."""

    seen: list[str] = []

    def do_GET(self) -> None:
        Broken.seen.append(self.path)
        if self.path == "/api/schema/":
            status, ctype, body = 200, "application/json", json.dumps(SCHEMA)
        elif self.path == "/api/v1/things/7":
            status, ctype, body = 200, "application/json", json.dumps({"data": "not a number"})
        else:
            status, ctype, body = 500, "text/html", "<h1>Server Error</h1>"
        raw = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def broken_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_server_errors_and_schema_violations_are_reported(broken_api):
    sent: list[dict[str, str]] = []

    def headers(case: Any) -> dict[str, str]:
        sent.append({"X-Session-Token": "t"})
        return sent[-1]

    report = fuzz_service(broken_api, headers, max_examples=5, fixed={"id": 7})

    assert report.operations == 1 and report.calls >= 5
    messages = "\n".join(report.failures["GET /api/v1/things/{id}"])
    assert "Server error" in messages or "500" in messages
    assert "/api/v1/things/7" in "".join(Broken.seen)  # the fixed value was used
    assert "not a number" in messages or "schema" in messages.lower()
    assert sent, "the headers hook was never called"
