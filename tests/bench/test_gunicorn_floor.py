"""bench/gunicorn_floor.py answers exactly the bytes /health answers (the floor it stands for)."""

from __future__ import annotations

from bench import gunicorn_floor
from healthchecks.wsgi import LIVENESS_BODY


def test_the_floor_answers_the_liveness_body_with_its_length():
    seen = []
    body = gunicorn_floor.application({}, lambda status, headers: seen.append((status, headers)))
    assert b"".join(body) == LIVENESS_BODY == gunicorn_floor.LIVENESS_BODY
    status, headers = seen[0]
    assert status == "200 OK"
    assert ("Content-Length", str(len(LIVENESS_BODY))) in headers
