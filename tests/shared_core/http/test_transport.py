"""shared_core.http.transport: deadline-bounded urllib3 timeouts and pools, public API only."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest
from urllib3.exceptions import EmptyPoolError

from shared_core.http import transport
from shared_core.http.transport import DeadlineTimeout, build_session
from tests.shared_core.http_servers import reply, scripted_server

__all__ = ["scripted_server"]  # fixture imported for pytest


def test_the_limits_apply_while_the_deadline_is_far():
    timeout = DeadlineTimeout(1.0, 2.0, time.monotonic() + 60)
    assert timeout.connect_timeout == 1.0
    assert timeout.read_timeout == 2.0


def test_the_limits_are_cut_to_the_time_left():
    timeout = DeadlineTimeout(1.0, 2.0, time.monotonic() + 0.5)
    assert 0.3 < timeout.connect_timeout <= 0.5
    assert 0.3 < timeout.read_timeout <= 0.5


def test_a_passed_deadline_reads_zero_so_urllib3_times_out_without_reading():
    timeout = DeadlineTimeout(1.0, 2.0, time.monotonic() - 1)
    assert timeout.read_timeout == 0
    assert 0 < timeout.connect_timeout <= 0.001  # never 0: that would make the socket non-blocking


def test_a_clone_keeps_the_deadline():
    """urllib3 clones the timeout it is given for each request."""
    timeout = DeadlineTimeout(1.0, 2.0, time.monotonic() + 5)
    clone = timeout.clone()
    assert isinstance(clone, DeadlineTimeout)
    assert (clone.connect_limit, clone.read_limit, clone.deadline_at) == (
        1.0,
        2.0,
        timeout.deadline_at,
    )


def test_a_session_waits_for_a_busy_pool_only_until_the_deadline(scripted_server):
    server = scripted_server(lambda request: reply(200, b"{}", delay=1.0))
    session = build_session(pool_maxsize=1, user_agent="test")
    holder = threading.Thread(
        target=session.get,
        args=(server.url + "slow",),
        kwargs={"timeout": DeadlineTimeout(1.0, 5.0, time.monotonic() + 5)},
    )
    holder.start()
    while not server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(EmptyPoolError):
        session.get(server.url + "second", timeout=DeadlineTimeout(1.0, 5.0, started + 0.3))
    assert time.monotonic() - started < 0.9
    holder.join()
    session.close()


def test_sessions_keep_no_cookies(scripted_server):
    server = scripted_server(
        lambda request: reply(200, b"{}", headers={"Set-Cookie": "sessionid=abc; Path=/"})
    )
    session = build_session(pool_maxsize=1, user_agent="test")
    session.get(server.url + "a", timeout=DeadlineTimeout(1.0, 2.0, time.monotonic() + 5))
    assert not session.cookies
    session.close()


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_the_transport_uses_no_private_urllib3_or_requests_name():
    """Only urllib3's and requests' public API: no private module or name is imported, no private
    attribute is read or set, no private method is overridden."""
    tree = ast.parse(Path(transport.__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            assert not any(private(part) for part in (node.module or "").split(".")), node.module
            assert not any(private(alias.name) for alias in node.names)
        if isinstance(node, ast.Attribute):
            assert not private(node.attr), node.attr
        if isinstance(node, ast.FunctionDef):
            assert not private(node.name), node.name
