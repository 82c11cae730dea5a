"""Request IDs: taken from a safe incoming header, else generated; in logs and responses."""

import inspect
import logging
import os
import random
import re
import sys
import uuid

import pytest

from shared_core.request_id import (
    generate_request_id,
    get_request_id,
    is_safe_request_id,
    request_id_context,
)

pytestmark = pytest.mark.urls("tests.urls")


def test_incoming_request_id_reaches_response_header_and_log_line(client, log_output):
    stream = log_output("text")
    response = client.get("/echo-request-id", headers={"X-Request-ID": "abc-123.x"})
    assert response["X-Request-ID"] == "abc-123.x"
    assert response.json() == {"request_id": "abc-123.x"}
    handled = [line for line in stream.getvalue().splitlines() if "handling echo" in line]
    assert handled and "[abc-123.x]" in handled[0]


def test_missing_request_id_is_generated(client):
    response = client.get("/echo-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_generated_ids_are_uuid4_hex():
    ids = {generate_request_id() for _ in range(2000)}
    assert len(ids) == 2000
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_seeding_the_random_module_does_not_repeat_ids():
    # Two services that both call random.seed(42) (tests often do) must not share IDs.
    random.seed(42)
    first = [generate_request_id() for _ in range(3)]
    random.seed(42)
    assert not set(first) & {generate_request_id() for _ in range(3)}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_forked_workers_do_not_repeat_their_parents_ids():
    # gunicorn forks its workers after the app is loaded: each child gets its own sequence.
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send one ID and leave without running pytest's exit handlers
        os.write(write_end, generate_request_id().encode())
        os._exit(0)
    os.close(write_end)
    parent_next = generate_request_id()
    with os.fdopen(read_end, "rb") as pipe:
        child_first = pipe.read().decode()
    os.waitpid(pid, 0)
    assert re.fullmatch(r"[0-9a-f]{32}", child_first)
    assert child_first != parent_next


@pytest.mark.parametrize(
    "unsafe",
    ["a" * 129, "has space", "line\nbreak", "tab\there", "semi;colon", "<script>", "é"],
)
def test_unsafe_request_id_is_replaced(client, log_output, unsafe):
    stream = log_output("text")
    response = client.get("/echo-request-id", headers={"X-Request-ID": unsafe})
    new_id = response["X-Request-ID"]
    assert new_id != unsafe
    assert re.fullmatch(r"[0-9a-f]{32}", new_id)
    assert f"[{new_id}]" in stream.getvalue()
    assert unsafe not in stream.getvalue()


def test_request_id_is_cleared_after_the_request(client):
    client.get("/echo-request-id", headers={"X-Request-ID": "done-1"})
    assert get_request_id() is None


def test_request_id_context_sets_and_restores():
    with request_id_context("job-1") as rid:
        assert rid == "job-1" == get_request_id()
        with request_id_context() as inner:
            assert get_request_id() == inner != "job-1"
        assert get_request_id() == "job-1"
    assert get_request_id() is None


def test_is_safe_request_id_bounds():
    assert is_safe_request_id("a" * 128)
    assert not is_safe_request_id("a" * 129)
    assert not is_safe_request_id("")
    assert not is_safe_request_id(None)


def test_log_records_outside_requests_have_a_placeholder(log_output):
    stream = log_output("text")
    logging.getLogger("cron").info("tick")
    assert "[-] tick" in stream.getvalue()


def test_generated_ids_come_from_uuid4():
    # Issue 16: the standard library's generator, not a random.Random of our own.
    source = inspect.getsource(generate_request_id)
    assert "uuid.uuid4()" in source
    assert "import random" not in inspect.getsource(sys.modules[generate_request_id.__module__])
