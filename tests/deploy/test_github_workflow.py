"""The GitHub Actions template (.github/workflows/ci.yml): valid against the GitHub workflow
schema that check-jsonschema ships, and running what the README and the Dockerfile say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.servers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_workflow_is_valid_against_the_github_workflow_schema():
    check = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(check), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_the_readme_test_command_against_postgresql_and_redis_services():
    job = load()["jobs"]["test"]
    readme_command = re.search(r"^(\./scripts/test)\s", (ROOT / "README.md").read_text(), re.M)
    assert readme_command
    assert [step["run"] for step in job["steps"] if "run" in step] == [readme_command.group(1)]
    services = job["services"]
    assert services["postgres"]["ports"] == ["5432:5432"]
    assert services["redis"]["ports"] == ["6379:6379"]
    env = job["env"]
    assert env["CI"] == "true"
    assert env["TEST_DATABASE_URL"].startswith("postgres://postgres@127.0.0.1:5432/")
    assert env["TEST_CACHE_URL"].startswith("redis://127.0.0.1:6379/")
    # The floor of pyproject.toml's requires-python is tested.
    floor = re.search(r'requires-python = ">=([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert floor and floor.group(1) in job["strategy"]["matrix"]["python-version"]


def test_it_builds_the_image_and_starts_docker_compose_yml():
    runs = [step.get("run", "") for step in load()["jobs"]["image"]["steps"]]
    assert any(run.startswith("docker build") for run in runs)
    assert any("docker compose up" in run and "--wait" in run for run in runs)
    assert any("docker compose down --volumes" in run for run in runs)
