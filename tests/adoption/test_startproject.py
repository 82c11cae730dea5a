"""Adoption: the wheel in a fresh virtual environment, ``django-admin startproject``, and only
the lines docs/quickstart.md ("the suite in an existing project") says to append and the
commands it says to run there (its ``sh project=mysite`` blocks).

Then ``check`` is clean, ``migrate`` works, gunicorn serves ``/health``, ``/ready``,
``/api/schema/``, ``/api/docs/`` (no CDN) and a problem+json 404 for an unknown URL, a
``BaseModel`` model is soft-deleted and restored through the page's DRF viewset; and each
appended line marked ``without it: <ID>``, removed alone, makes ``check`` fail with that ID
(never a crash, an ``fields.E304`` or a 500 at run time). The environment gets the suite only
from the wheel; third-party dependencies come from this run's environment (see
``tests/docs/test_quickstart.py``).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.docs.test_quickstart import (
    PURELIB,
    REPO,
    assert_each_required_line_is_a_check,
    blocks,
    build_wheel,
    free_port,
    probe,
    wait_for,
)

APPENDED = ("mysite/settings.py", "mysite/urls.py")
PIP_INSTALL = (sys.executable, "-m", "pip")
PIP_OPTIONS = ("-q", "--no-deps", "--no-index", "--ignore-installed")
GUNICORN = ("--workers", "1", "--threads", "2", "--bind")


def project_steps() -> list[tuple[str, str, str]]:
    """The page's steps in the project, in order: ``("append", path, text)``,
    ``("run", command, "")`` for each line of an ``sh project=mysite`` block."""
    steps: list[tuple[str, str, str]] = []
    for lang, options, body in blocks():
        if "append" in options:
            steps.append(("append", options["append"], body))
        elif lang == "sh" and options.get("project") == "mysite":
            steps += [("run", line.strip(), "") for line in body.splitlines() if line.strip()]
    appended = {target for kind, target, _ in steps if kind == "append"}
    assert set(APPENDED) <= appended, appended
    return steps


def call(method: str, url: str, payload: Any = None) -> tuple[int, Any]:
    """One JSON request; the status and the decoded body (``None`` when empty)."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else None


def soft_delete_and_restore(base: str) -> None:
    """The page's notes API: create, soft delete (404, row kept), restore (back again)."""
    status, body = call("POST", f"{base}/api/v1/notes", {"text": "remember the milk"})
    assert status == 201, body
    note = body["data"]
    url = f"{base}/api/v1/notes/{note['id']}"
    assert call("DELETE", url)[0] == 204
    status, body = call("GET", url)
    assert (status, body["code"]) == (404, "not_found"), body
    assert call("GET", f"{base}/api/v1/notes")[1]["data"] == []
    status, body = call("POST", f"{url}/restore")
    assert status == 200, body
    assert body["data"]["id"] == note["id"]
    assert call("GET", url)[0] == 200
    assert [each["id"] for each in call("GET", f"{base}/api/v1/notes")[1]["data"]] == [note["id"]]


def test_the_documented_lines_make_a_startproject_project_a_suite_service(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    python = project / ".venv" / "bin" / "python"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}

    def run(*argv: str) -> str:
        result = subprocess.run(
            [str(python), *argv], cwd=project, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{argv} failed:\n{result.stdout}{result.stderr}"
        return result.stdout + result.stderr

    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(project / ".venv")],
        check=True,
        timeout=120,
    )
    target = subprocess.run(
        [str(python), "-c", PURELIB], check=True, capture_output=True, text=True
    ).stdout.strip()
    Path(target, "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = build_wheel(tmp_path)
    subprocess.run(
        [*PIP_INSTALL, "--python", str(python), "install", *PIP_OPTIONS, str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    where = run("-c", "import accounts; print(accounts.__file__)")
    assert str(project / ".venv") in where and str(REPO) not in where, where

    run("-m", "django", "startproject", "mysite", ".")
    commands = []
    for kind, target, body in project_steps():
        if kind == "append":
            with (project / target).open("a") as file:
                file.write("\n" + body)
            continue
        argv = shlex.split(target)
        assert argv[0] == "python", f"the test does not know how to run: {target}"
        run(*argv[1:])
        commands.append(argv[1:3])
    assert ["manage.py", "startapp"] in commands and ["manage.py", "migrate"] in commands

    assert "no issues" in run("manage.py", "check", "--fail-level", "WARNING")
    run("manage.py", "migrate", "--noinput", "-v0")
    assert list((project / "notes" / "migrations").glob("0001_*.py"))
    port = free_port()
    log = tmp_path / "server.log"
    server = subprocess.Popen(
        [str(python), "-m", "gunicorn", "mysite.wsgi:application", *GUNICORN, f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", server)
        base = "http://127.0.0.1:8000"
        for path in ("/health", "/ready", "/api/schema/", "/api/docs/"):
            status, _, _, raw = probe([f"{base}{path}"], port)
            assert status == 200, f"{path} -> {status}: {raw[:500]}"
        # The documentation page takes Swagger UI from the wheel's sidecar, not from a CDN.
        assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in raw
        assert "https://" not in raw and "http://" not in raw
        status, content_type, body, _ = probe([f"{base}/nowhere"], port)
        assert (status, content_type) == (404, "application/problem+json")
        assert body["code"] == "not_found"
        soft_delete_and_restore(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]

    assert_each_required_line_is_a_check(project, python, env, APPENDED)

    # The wheel ships startservice's templates: a new service, outside any repository, passes
    # its own tests on the installed suite.
    generated = tmp_path / "generated"
    generated.mkdir()
    run("manage.py", "startservice", "billing", "--directory", str(generated))
    assert (generated / "billing_service" / "billing" / "migrations" / "0001_initial.py").exists()
    service_env = {**env, "PYTHONPATH": str(generated), "SERVICE_AUTH_TOKEN": "x"}
    result = subprocess.run(
        [str(python), "-m", "billing_service.manage", "test", "billing_service", "--noinput"],
        cwd=generated,
        env=service_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and "Ran 5 tests" in result.stderr, result.stdout + result.stderr
