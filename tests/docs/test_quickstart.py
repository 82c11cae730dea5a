"""docs/quickstart.md, followed step by step: a new service built on the installed suite.

The test reads the page's fenced code blocks, so the page and the test cannot drift:

- a block whose info string has ``file=PATH`` is written to ``PATH`` in a fresh temporary project;
- ``sh`` blocks are run line by line: ``export NAME=value`` sets a variable for the lines
  after it, ``python -m venv`` makes the project's own virtual environment,
  ``pip install django-service-suite…`` installs a wheel built from this checkout,
  ``python …``/``gunicorn …`` run with that environment's interpreter (``gunicorn`` in the
  background on a free loopback port instead of 8000), and each ``curl`` line is a probe whose
  expected status (and problem code, if any) is the comment after it.

The project's environment gets the suite ONLY from the wheel (``--no-deps``); its third-party
dependencies (Django, DRF, allauth, …) come from this test run's environment through a ``.pth``
path entry, which adds that site-packages directory without running its ``.pth`` hooks — so this
checkout's editable install is not visible and the project cannot import the repository. The test
checks that, then migrates, serves and probes the project.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "docs" / "quickstart.md"
PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
# A line the page says cannot go: "... # without it: accounts.E001".
REQUIRED = re.compile(r"#.*without it: (?P<id>[a-z_]+\.[EW]\d{3})")
PROBE = re.compile(r"^curl\s+(?P<args>.*?)\s+#\s*(?P<status>\d{3})(?P<rest>.*)$")
# What goes into the built wheel: the packaging metadata and the four apps.
DISTRIBUTION = (
    "pyproject.toml",
    "README.md",
    "shared_core",
    "apipatterns",
    "accounts",
    "healthchecks",
)


def blocks() -> list[tuple[str, dict[str, str], str]]:
    """``(language, options, body)`` for every fenced block of the quickstart, in order."""
    found = []
    for match in FENCE.finditer(QUICKSTART.read_text()):
        lang, *opts = match["info"].split() or [""]
        options = dict(opt.split("=", 1) for opt in opts if "=" in opt)
        found.append((lang, options, match["body"]))
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Catalog(BaseHTTPRequestHandler):
    """The downstream "catalog service" the quickstart's HTTPClient calls: a real HTTP server."""

    def do_GET(self) -> None:
        match = re.fullmatch(r"/prices/([\w-]+)", self.path)
        body = json.dumps({"sku": match[1], "price": "9.99"} if match else {}).encode()
        self.send_response(200 if match else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def catalog() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Catalog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def build_wheel(tmp: Path) -> Path:
    """A wheel of this checkout, built from a clean copy (the checkout gets no build/ dir)."""
    source = tmp / "source"
    for name in DISTRIBUTION:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(src, source / name)
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("django_service_suite-*.whl")
    return wheel


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def probe(args: list[str], port: int) -> tuple[int, str, dict, str]:
    """Do what ``curl -i [-X METHOD] URL`` does; return status, content type, JSON body, raw."""
    method = args[args.index("-X") + 1] if "-X" in args else "GET"
    (url,) = [a for a in args if a.startswith("http")]
    url = url.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    data = b"" if method in ("POST", "PUT", "PATCH") else None
    request = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, error.headers, error.read()
    content_type = headers.get("Content-Type", "")
    body = json.loads(raw) if "json" in content_type else {}
    assert headers.get("X-Request-ID"), f"{method} {url}: no X-Request-ID"
    return status, content_type, body, raw.decode(errors="replace")


def assert_each_required_line_is_a_check(
    project: Path, python: Path, env: dict, files: tuple[str, ...], minimum: int = 12
) -> None:
    """Each line the page marks ``without it: <ID>``, removed alone, fails ``check`` with <ID>
    (never a crash or another app's error), and the project checks clean again once restored."""
    removed = 0
    for name in files:
        path = project / name
        original = path.read_text()
        lines = original.splitlines(keepends=True)
        for number, line in enumerate(lines):
            match = REQUIRED.search(line)
            if not match:
                continue
            path.write_text("".join(lines[:number] + lines[number + 1 :]))
            try:
                result = subprocess.run(
                    [str(python), "manage.py", "check", "--fail-level", "WARNING"],
                    cwd=project,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
            finally:
                path.write_text(original)
            output = result.stdout + result.stderr
            assert result.returncode != 0, f"check passed without: {line.strip()}"
            assert f"({match['id']})" in output, f"without {line.strip()!r}:\n{output}"
            assert "Traceback" not in output and "fields.E304" not in output, output
            removed += 1
    assert removed >= minimum, "the quickstart lost its required-line markers"


def test_quickstart_builds_and_runs_a_new_service(tmp_path, catalog):
    project = tmp_path / "project"
    project.mkdir()
    venv_python = project / ".venv" / "bin" / "python"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CATALOG_SERVICE_URL": catalog,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    port = free_port()
    server: subprocess.Popen | None = None
    probes = 0
    log = tmp_path / "server.log"

    def run(argv: list[str]) -> None:
        result = subprocess.run(
            argv, cwd=project, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{shlex.join(argv)} failed:\n{result.stdout}{result.stderr}"

    try:
        for lang, options, body in blocks():
            if "file" in options:
                path = project / options["file"]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(body)
                continue
            # ``sh project=mysite``: section 7's commands, run by tests/adoption/ instead.
            if lang != "sh" or "project" in options:
                continue
            for line in body.splitlines():
                line = line.strip()
                if not line:
                    continue
                if match := PROBE.match(line):
                    wait_for(f"http://127.0.0.1:{port}/health", server)
                    status, content_type, data, raw = probe(shlex.split(match["args"]), port)
                    expected, rest = int(match["status"]), match["rest"]
                    assert status == expected, f"{line}\n-> {status}: {raw[:500]}"
                    if expected >= 400:
                        assert content_type == "application/problem+json", line
                        code = rest.split()[0]
                        assert data["code"] == code, f"{line}\n-> {data}"
                    elif "json" in content_type:
                        assert "data" in data or "status" in data, raw[:500]
                    probes += 1
                    continue
                argv = shlex.split(line.split("#")[0].split("&&")[0])
                if argv[0] == "export":
                    env.update(assignment.split("=", 1) for assignment in argv[1:])
                elif argv[:3] == ["python", "-m", "venv"]:
                    subprocess.run(
                        [sys.executable, "-m", "venv", "--without-pip", str(project / argv[3])],
                        check=True,
                        timeout=120,
                    )
                    # Dependencies from this run's environment, hooks (the editable install) off.
                    site = Path(sysconfig.get_paths()["purelib"])
                    target = subprocess.run(
                        [str(venv_python), "-c", PURELIB],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout.strip()
                    Path(target, "zz_test_dependencies.pth").write_text(f"{site}\n")
                elif argv[:2] == ["pip", "install"]:
                    assert argv[2].startswith("django-service-suite"), line
                    wheel = build_wheel(tmp_path)
                    run(
                        [
                            sys.executable,
                            "-m",
                            "pip",
                            "--python",
                            str(venv_python),
                            "install",
                            "-q",
                            "--no-deps",
                            "--no-index",
                            "--ignore-installed",
                            str(wheel),
                        ]
                    )
                elif argv[0] == "python":
                    run([str(venv_python), *argv[1:]])
                elif argv[0] == "gunicorn":
                    argv = [a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in argv]
                    server = subprocess.Popen(
                        [str(venv_python), "-m", *argv],
                        cwd=project,
                        env=env,
                        stdout=log.open("wb"),
                        stderr=subprocess.STDOUT,
                    )
                else:
                    raise AssertionError(f"the test does not know how to run: {line}")

        # The project used the installed wheel, not this checkout.
        where = subprocess.run(
            [str(venv_python), "-c", "import shared_core; print(shared_core.__file__)"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert str(project / ".venv") in where and str(REPO) not in where, where
        assert server is not None, "the quickstart never starts a server"
        assert probes >= 5, "the quickstart lost its probes"
        # The model, its migration and a soft delete through the API.
        assert list((project / "inventory" / "migrations").glob("0001_*.py"))
        # On the presets only the URLconf's lines cannot default (section 7 marks the rest,
        # tests/adoption removes them).
        assert_each_required_line_is_a_check(
            project, venv_python, env, ("inventory/settings.py", "inventory/urls.py"), minimum=4
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
