"""Fixtures for the healthchecks tests: local HTTP stubs, a closed port, a fresh check cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from healthchecks.checks import reset_migrations_cache
from tests.servers import StubServer, free_port


@pytest.fixture(autouse=True)
def _fresh_migrations_cache() -> Iterator[None]:
    """Each test starts with no database remembered as fully migrated."""
    reset_migrations_cache()
    yield
    reset_migrations_cache()


@pytest.fixture
def stub_server() -> Iterator[Callable[..., StubServer]]:
    """Start local HTTP servers (``StubServer`` options); all stopped after the test."""
    started: list[StubServer] = []

    def start(**options: object) -> StubServer:
        server = StubServer(**options).__enter__()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening on it (connections are refused)."""
    return free_port()
