"""The Dockerfile, parsed once, and what the image would run, translated to this checkout.

No Docker engine runs here: the tests read the Dockerfile with dockerfile-parse and run the
image's own ENTRYPOINT + CMD as plain processes from the repository root (the image's WORKDIR).
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import pytest
from dockerfile_parse import DockerfileParser

from tests.servers import ROOT


@dataclass
class Stage:
    """One ``FROM`` stage: its name and its instructions as (INSTRUCTION, value) pairs."""

    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, instruction: str) -> list[str]:
        return [value for name, value in self.instructions if name == instruction]

    def last(self, instruction: str) -> str | None:
        values = self.all(instruction)
        return values[-1] if values else None


@dataclass
class Dockerfile:
    parser: DockerfileParser
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def exec_form(self, instruction: str) -> list[str]:
        """The final stage's ENTRYPOINT/CMD as a list (exec form is JSON)."""
        value = self.final.last(instruction)
        assert value is not None, f"no {instruction} in the final stage"
        return json.loads(value)

    @property
    def workdir(self) -> str:
        return self.final.last("WORKDIR") or "/"

    def local_path(self, image_path: str) -> str:
        """An absolute path inside the image, as a path in this checkout."""
        prefix = self.workdir.rstrip("/") + "/"
        if image_path.startswith(prefix):
            return str(ROOT / image_path[len(prefix) :])
        return image_path

    def runtime_env(self) -> dict[str, str]:
        """The final stage's ENV, without PATH (the test keeps its own virtualenv's)."""
        env = dict(self.parser.envs)
        env.pop("PATH", None)
        return env


def parse_dockerfile() -> Dockerfile:
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    stages: list[Stage] = []
    images = iter(parser.parent_images)
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            words = value.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image=next(images), name=name))
        elif stages and instruction != "COMMENT":
            stages[-1].instructions.append((instruction, value))
    return Dockerfile(parser=parser, stages=stages)


@pytest.fixture(scope="session")
def dockerfile() -> Dockerfile:
    return parse_dockerfile()


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """A fresh, empty database for a process: a SQLite file, or (in the PostgreSQL pass, when
    ``DATABASE_URL`` names PostgreSQL) a new database on that server, dropped afterwards."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'deploy.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(configured)
    name = f"{parts.path.lstrip('/') or 'suite'}_deploy_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(dockerfile: Dockerfile, **overrides: str) -> dict[str, str]:
    """What a deployment gives the image: its ENV, a real secret key, hosts, and overrides."""
    from tests.servers import process_env

    env = {
        **dockerfile.runtime_env(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",  # two cores shared by many test runs
    }
    env.update(overrides)
    return process_env(**env)


# --- the container tests (marker ``container``): podman, the real image, docker-compose.yml ------


@pytest.fixture(scope="session")
def container_tools() -> None:
    """Skip (outside CI) or fail (under CI) when podman and its helpers are not installed."""
    from tests.conftest import IN_CI
    from tests.deploy.containers import missing_tools

    missing = missing_tools()
    if missing:
        reason = (
            f"the container tests need {', '.join(missing)}: run .ci/setup-containers as root "
            "(CI does)"
        )
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def base_images(container_tools):
    """The test-only Python, PostgreSQL and Redis images (built once, then reused)."""
    import time

    from tests.deploy.containers import MEASUREMENTS, ensure_base_images

    started = time.monotonic()
    images = ensure_base_images()
    MEASUREMENTS["base images ready (built, or reused when unchanged)"] = (
        f"{time.monotonic() - started:.1f} s"
    )
    return images


@pytest.fixture(scope="session")
def suite_image(base_images):
    """The project's image, built from its Dockerfile once per test session."""
    from tests.deploy.containers import MEASUREMENTS, build_suite_image

    built = build_suite_image(base_images.python)
    MEASUREMENTS["image build (podman build --no-cache, Dockerfile as is)"] = (
        f"{built.seconds:.1f} s"
    )
    MEASUREMENTS["image size"] = f"{built.size / 1e6:.1f} MB"
    return built


def pytest_terminal_summary(terminalreporter) -> None:
    """Print what the container tests measured (image size, build time, compose timings)."""
    from tests.deploy.containers import MEASUREMENTS

    if MEASUREMENTS:
        terminalreporter.section("container tests: measurements")
        for name, value in MEASUREMENTS.items():
            terminalreporter.line(f"{name}: {value}")
