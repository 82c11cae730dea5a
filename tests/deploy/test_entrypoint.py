"""The image's own command, run as plain processes: deploy/entrypoint.sh, then gunicorn with
deploy/gunicorn.conf.py, on a free loopback port, probed on /health and /ready.

The command, the environment and the health check come from the Dockerfile itself, so the
tests follow it if it changes. The database is a fresh one (SQLite file, or a new PostgreSQL
database in the PostgreSQL pass), migrated by the one-shot step a release runs.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

from tests.deploy.conftest import production_env
from tests.servers import ROOT, StubServer, free_port, running_process


def get(
    url: str, accept: str = "application/json", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def image_command(dockerfile) -> list[str]:
    entrypoint = dockerfile.exec_form("ENTRYPOINT")
    return [dockerfile.local_path(entrypoint[0]), *entrypoint[1:], *dockerfile.exec_form("CMD")]


def entrypoint(dockerfile, *args: str) -> list[str]:
    return [dockerfile.local_path(dockerfile.exec_form("ENTRYPOINT")[0]), *args]


def run(argv: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_image_command_serves_health_ready_and_static_files(dockerfile, database_url, tmp_path):
    port = free_port()
    with StubServer(status=200) as user_service:
        env = production_env(
            dockerfile,
            PORT=str(port),
            DATABASE_URL=database_url,
            STATIC_ROOT=str(tmp_path / "static"),
            HEALTHCHECK_DEPENDENCIES=json.dumps({"user-service": f"{user_service.url}/health"}),
            WAIT_FOR_DB_TIMEOUT="30",
        )
        # The release's one-shot steps: migrations (through the entrypoint, which waits for the
        # database first) and, as the image build does, collectstatic.
        migrate = run(entrypoint(dockerfile, "python", "-m", "django", "migrate", "--noinput"), env)
        assert migrate.returncode == 0, migrate.stderr
        # The wait is logged like every other line of the service (JSON under settings.prod).
        (waited,) = [json.loads(line) for line in migrate.stderr.splitlines() if "is up" in line]
        assert waited["message"] == "Database 'default' is up (attempt 1)."
        assert waited["logger"] == "healthchecks.wait_for_db"
        collect = run(["python", "-m", "django", "collectstatic", "--noinput"], env)
        assert collect.returncode == 0, collect.stderr

        log = tmp_path / "server.log"
        base = f"http://127.0.0.1:{port}"
        with running_process(
            image_command(dockerfile), env=env, log=log, probe_url=f"{base}/health"
        ):
            health = get(f"{base}/health")
            ready = get(f"{base}/ready")
            # As the TLS-terminating proxy forwards it (settings.prod redirects plain http).
            static = get(
                f"{base}/static/admin/css/base.css",
                accept="text/css",
                **{"X-Forwarded-Proto": "https"},
            )
            probe = run(json.loads(dockerfile.final.last("HEALTHCHECK").split("CMD", 1)[1]), env)

    status, headers, body = health
    assert status == 200 and json.loads(body) == {"status": "ok", "checks": {}}
    assert headers["X-Request-ID"]

    status, _, body = ready
    report = json.loads(body)
    assert status == 200, body
    assert {name: entry["status"] for name, entry in report["checks"].items()} == {
        "Database(alias='default')": "ok",
        "MigrationsApplied(alias='default')": "ok",
        "Cache(alias='default')": "ok",
        "DownstreamService(name='user-service')": "ok",
    }

    status, headers, body = static
    assert status == 200 and headers["Content-Type"].startswith("text/css") and body

    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert probe.stdout.startswith("200 ")

    # One line per request, the application's request log (JSON in settings.prod), with the
    # request's ID in its own field; gunicorn's access log is off, its error log goes through the
    # application's logging.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    served = [line for line in lines if line["logger"] == "apipatterns.requests"]
    ready_lines = [line for line in served if line["path"] == "/ready"]
    assert ready_lines and ready_lines[0]["request_id"] not in ("", "-")
    assert ready_lines[0]["status"] == 200 and ready_lines[0]["method"] == "GET"
    assert not any(line["logger"] == "gunicorn.access" for line in lines)
    assert any(line["logger"] == "gunicorn.error" for line in lines)  # the master's own lines


def test_wsgi_app_and_settings_pick_the_service(dockerfile, database_url, tmp_path):
    # The same image serves every demo service: here the user service, with its own settings.
    port = free_port()
    env = production_env(
        dockerfile,
        PORT=str(port),
        DATABASE_URL=database_url,
        WSGI_APP="services.user_service.wsgi:application",
        DJANGO_SETTINGS_MODULE="services.user_service.settings",
        WAIT_FOR_DB_TIMEOUT="30",
    )
    migrate = run(entrypoint(dockerfile, "python", "-m", "django", "migrate", "--noinput"), env)
    assert migrate.returncode == 0, migrate.stderr

    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with running_process(image_command(dockerfile), env=env, log=log, probe_url=f"{base}/health"):
        ready = get(f"{base}/ready")

    assert ready[0] == 200, ready[2]
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    served = [line for line in lines if line["logger"] == "apipatterns.requests"]
    assert served and {line["service"] for line in served} == {"user-service"}


def test_with_the_database_unreachable_health_stays_200_and_ready_names_it(dockerfile, tmp_path):
    port, dead = free_port(), free_port()
    env = production_env(
        dockerfile,
        PORT=str(port),
        DATABASE_URL=f"postgres://app:pw-s3cret@127.0.0.1:{dead}/app",
        WAIT_FOR_DB_TIMEOUT="0",  # start anyway: the process must stay alive and say why
        HEALTHCHECK_TIMEOUT="1",
    )
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with running_process(image_command(dockerfile), env=env, log=log, probe_url=f"{base}/health"):
        health = get(f"{base}/health")
        ready = get(f"{base}/ready")
        probe = run(json.loads(dockerfile.final.last("HEALTHCHECK").split("CMD", 1)[1]), env)

    assert health[0] == 200
    assert probe.returncode == 0  # the container stays healthy: no restart loop
    status, _, body = ready
    assert status == 503
    report = json.loads(body)
    assert report["status"] == "unavailable"
    assert report["checks"]["Database(alias='default')"]["status"] == "error"
    assert report["checks"]["MigrationsApplied(alias='default')"]["status"] == "error"
    assert report["checks"]["Cache(alias='default')"]["status"] == "ok"
    assert b"pw-s3cret" not in body
    assert "pw-s3cret" not in log.read_text()


def test_the_entrypoint_gives_up_on_a_missing_database_without_starting(dockerfile, tmp_path):
    marker = tmp_path / "started"
    env = production_env(
        dockerfile,
        DATABASE_URL=f"postgres://app:pw-s3cret@127.0.0.1:{free_port()}/app",
        WAIT_FOR_DB_TIMEOUT="1",
    )

    started = time.monotonic()
    result = run(entrypoint(dockerfile, "touch", str(marker)), env, timeout=60)
    elapsed = time.monotonic() - started

    assert result.returncode != 0
    assert "not reachable after 1 s" in result.stderr
    assert not marker.exists(), "the command must not run when the database never came up"
    assert "pw-s3cret" not in result.stdout + result.stderr
    assert elapsed < 30  # bounded by WAIT_FOR_DB_TIMEOUT, plus Python start-up


def test_the_entrypoint_execs_its_command(dockerfile, database_url):
    # exec, not a child: signals from the container runtime reach the server directly.
    env = production_env(dockerfile, DATABASE_URL=database_url, WAIT_FOR_DB_TIMEOUT="10")
    process = subprocess.Popen(
        entrypoint(dockerfile, "python", "-c", "import os; print(os.getpid())"),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process.communicate(timeout=120)

    assert process.returncode == 0, stderr
    assert stdout.strip().splitlines()[-1] == str(process.pid)
