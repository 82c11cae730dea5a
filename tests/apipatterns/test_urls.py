"""apipatterns.urls: the schema at /api/schema/ and its Swagger UI page at /api/docs/, public,
served from drf-spectacular-sidecar's static files (no CDN), with each service's own title."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.apipatterns.conftest import problem
from tests.services.test_settings import ROOT, SERVICE_SETTINGS, service_env

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def test_docs_page_is_a_public_swagger_ui_on_the_schema(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "SwaggerUIBundle" in html
    assert '"/api/schema/"' in html


def test_docs_page_loads_only_local_static_files(client):
    html = client.get("/api/docs/").content.decode()

    assets = ASSET.findall(html)
    assert len(assets) >= 4, assets  # stylesheet, favicon, bundle, preset
    assert all(a.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/") for a in assets)
    assert not re.search(r"https?://", html)


@pytest.mark.parametrize("accept", ["", "text/html"])
def test_wrong_method_on_the_docs_page_is_a_json_problem(client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.post("/api/docs/", **headers)

    problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


# Run in each service's production settings: collectstatic into a fresh STATIC_ROOT, then the
# page and every file it references through WhiteNoise, and the schema's info.
PROBE = """
import json, re, sys
import django
from django.core.management import call_command
django.setup()
call_command("collectstatic", "--noinput", verbosity=0)
from django.test import Client
client = Client(HTTP_HOST="user-service", HTTP_X_FORWARDED_PROTO="https")
page = client.get("/api/docs/")
html = page.content.decode()
assets = re.findall(r'(?:src|href)="([^"]+)"', html)
statuses = {a: client.get(a).status_code for a in assets}
schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
print(json.dumps({"status": page.status_code, "cdn": bool(re.search(r"https?://", html)),
                  "assets": statuses, "info": json.loads(schema.content)["info"]}))
"""


@pytest.fixture(scope="module")
def production_pages(tmp_path_factory):
    pages = {}
    for name, module in SERVICE_SETTINGS.items():
        tmp = tmp_path_factory.mktemp(name)
        env = service_env(
            module,
            DJANGO_ENV="production",
            STATIC_ROOT=str(tmp / "static"),
            DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        )
        result = subprocess.run(
            [sys.executable, "-c", PROBE],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        pages[name] = json.loads(result.stdout.strip().splitlines()[-1])
    return pages


@pytest.mark.parametrize("name", SERVICE_SETTINGS)
def test_each_service_serves_its_docs_page_from_collected_static_files(production_pages, name):
    page = production_pages[name]

    assert page["status"] == 200
    assert page["cdn"] is False
    assert page["assets"] and all(status == 200 for status in page["assets"].values()), page
    assert all(a.startswith("/static/drf_spectacular_sidecar/") for a in page["assets"])


def test_each_service_has_its_own_api_title_version_and_description(production_pages):
    infos = {name: page["info"] for name, page in production_pages.items()}

    assert infos["ticket-service"]["title"] == "Ticket service API"
    for info in infos.values():
        assert info["version"] and info["description"]
    assert len({info["title"] for info in infos.values()}) == len(infos)
    assert len({info["description"] for info in infos.values()}) == len(infos)
