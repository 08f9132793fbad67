"""deploy/k8s: valid Kubernetes objects (strict schemas of a pinned version) that run safely.

Beyond the schemas: probes on the real health routes, a grace period longer than the
preStop sleep plus the drain, non-root read-only containers, settings from the ConfigMap
and a Secret that only is referenced, never written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.conf import settings
from django.urls import resolve

from tests.servers import ROOT
from tests.test_tooling import setting_variables

K8S = ROOT / "deploy" / "k8s"
# The Kubernetes version whose schemas the manifests must satisfy (kubernetes-validate
# 1.37 ships 1.25 to 1.37).
KUBERNETES_VERSION = "1.33.0"
SECRET_NAME = "corkboard-secrets"
SECRET_KEYS = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"}

KUSTOMIZATION: dict[str, Any] = yaml.safe_load((K8S / "kustomization.yaml").read_text())
OBJECTS: list[dict[str, Any]] = [
    document
    for name in KUSTOMIZATION["resources"]
    for document in yaml.safe_load_all((K8S / name).read_text())
    if document
]


def _one(kind: str) -> dict[str, Any]:
    (found,) = [item for item in OBJECTS if item["kind"] == kind]
    return found


DEPLOYMENT = _one("Deployment")
POD = DEPLOYMENT["spec"]["template"]["spec"]
(WEB,) = POD["containers"]
CONFIG: dict[str, str] = _one("ConfigMap")["data"]
JOB_POD = _one("Job")["spec"]["template"]["spec"]


def _pairs(node: Any) -> Iterator[tuple[str, Any]]:
    """Yield every key and value of a parsed manifest, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _pairs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _pairs(item)


def _containers() -> list[dict[str, Any]]:
    return [*POD["initContainers"], WEB, *JOB_POD["containers"]]


def test_the_kustomization_lists_every_manifest():
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(KUSTOMIZATION["resources"]) == sorted(files)
    kinds = sorted(item["kind"] for item in OBJECTS)
    assert kinds == sorted(
        "ConfigMap Deployment HorizontalPodAutoscaler Ingress Job Namespace "
        "PodDisruptionBudget Service".split()
    )


@pytest.mark.parametrize(
    "item", OBJECTS, ids=lambda item: f"{item['kind']}/{item['metadata']['name']}"
)
def test_every_object_matches_the_strict_kubernetes_schema(item):
    assert kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)


def _get(probe: dict[str, Any]) -> str:
    path: str = probe["httpGet"]["path"]
    assert probe["httpGet"]["port"] == WEB["ports"][0]["name"]
    return path


def test_probes_use_the_health_routes_with_an_allowed_host():
    assert _get(WEB["readinessProbe"]) == "/readyz"
    assert _get(WEB["livenessProbe"]) == "/healthz"
    assert _get(WEB["startupProbe"]) == "/healthz"
    for name in ("readyz", "healthz"):
        assert resolve(f"/{name}").url_name == name
    allowed = CONFIG["ALLOWED_HOSTS"].split(",")
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        headers = {h["name"]: h["value"] for h in WEB[kind]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed
        # With HTTPS_ONLY the app would redirect a plain-HTTP probe.
        assert headers["X-Forwarded-Proto"] == "https" and CONFIG["BEHIND_TLS_PROXY"] == "true"
    # A check gives up after 2 s; the readiness probe waits for all three.
    assert WEB["readinessProbe"]["timeoutSeconds"] > 6


def test_a_stopping_pod_drains_within_its_grace_period():
    sleep = WEB["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep" and int(sleep[1]) > 0
    drain = float(CONFIG["REALTIME_SHUTDOWN_GRACE_SECONDS"])
    assert drain == settings.REALTIME_SHUTDOWN_GRACE_SECONDS
    assert POD["terminationGracePeriodSeconds"] > int(sleep[1]) + drain


def test_two_replicas_roll_without_losing_capacity_and_a_budget_keeps_one():
    spec = DEPLOYMENT["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"] == labels
    pdb = _one("PodDisruptionBudget")["spec"]
    assert pdb["selector"]["matchLabels"] == labels and pdb["minAvailable"] == 1
    service = _one("Service")["spec"]
    assert service["selector"] == labels
    assert service["ports"][0]["targetPort"] == WEB["ports"][0]["name"]
    assert WEB["ports"][0]["containerPort"] == 8000


def test_the_autoscaler_scales_the_deployment_from_its_replica_count():
    hpa = _one("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", DEPLOYMENT["metadata"]["name"])
    assert hpa["spec"]["minReplicas"] == DEPLOYMENT["spec"]["replicas"]
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert WEB["resources"]["requests"]["cpu"], "utilization is measured against the request"


def test_containers_run_unprivileged_on_a_read_only_root():
    for pod in (POD, JOB_POD):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["automountServiceAccountToken"] is False
    for container in _containers():
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]


def test_settings_come_from_the_config_map_and_a_referenced_secret():
    for container in _containers():
        assert container["image"] == "corkboard"
        assert "env" not in container, "every setting comes from the ConfigMap or the Secret"
        assert container["envFrom"] == [
            {"configMapRef": {"name": _one("ConfigMap")["metadata"]["name"]}},
            {"secretRef": {"name": SECRET_NAME}},
        ]
    assert set(CONFIG) <= setting_variables()
    assert not set(CONFIG) & SECRET_KEYS
    assert CONFIG["LOG_FORMAT"] == "json" and CONFIG["DEBUG"] == "false"


def test_no_secret_is_written_and_the_one_to_create_is_documented():
    assert all(item["kind"] != "Secret" for item in OBJECTS)
    text = (K8S / "kustomization.yaml").read_text()
    assert f"create secret generic {SECRET_NAME}" in text
    assert set(re.findall(r"--from-literal=([A-Z_]+)=", text)) == SECRET_KEYS
    written = [key for item in OBJECTS for key, value in _pairs(item) if isinstance(value, str)]
    assert not [key for key in written if re.search(r"(?i)(password|secret_key|token)$", key)]


def test_the_migrate_job_migrates_and_new_pods_wait_for_it():
    (migrate,) = JOB_POD["containers"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert JOB_POD["restartPolicy"] == "Never"
    (wait,) = POD["initContainers"]
    assert wait["command"] == ["python", "manage.py", "migrate", "--check", "--noinput"]


def test_the_ingress_keeps_websockets_open_and_passes_bodies_to_the_app():
    ingress = _one("Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    body = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(body.removesuffix("m")) * 1024 * 1024 > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": _one("Service")["metadata"]["name"], "port": {"name": "http"}}
    assert rule["host"] in CONFIG["ALLOWED_HOSTS"].split(",")
    assert f"https://{rule['host']}" in CONFIG["CSRF_TRUSTED_ORIGINS"].split(",")


def test_manifest_paths_are_files_of_this_folder():
    assert all(Path(name).name == name for name in KUSTOMIZATION["resources"])
