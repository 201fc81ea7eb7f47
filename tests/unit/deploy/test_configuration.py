"""The pieces of deploy/kubernetes fit together: kustomize applies every file, the pods find
their settings, the routes find their Services, and no secret is committed."""

import re
from pathlib import Path

import pytest
import yaml

from fabrika.core.settings import Settings
from fabrika.gateway.kubernetes import SERVICE_PORT
from tests.unit.deploy.manifests import (
    KUBERNETES_DIR,
    KUSTOMIZATION,
    containers,
    manifest_files,
    manifests,
    of_kind,
    one,
    workloads,
)

DATABASE_URL = {"secretKeyRef": {"name": "fabrika-database", "key": "url"}}
# A URL that carries a password: scheme://user:password@host.
URL_WITH_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")


def kustomization() -> dict:
    return yaml.safe_load((KUBERNETES_DIR / KUSTOMIZATION).read_text(encoding="utf-8"))


def pod_containers():
    for workload in [*workloads().values(), *of_kind("Job")]:
        yield from ((workload, c) for c in containers(workload))


def test_kustomize_applies_every_manifest_file_and_nothing_else() -> None:
    assert sorted(kustomization()["resources"]) == sorted(p.name for p in manifest_files())


def test_every_object_lands_in_the_fabrika_namespace() -> None:
    (namespace,) = of_kind("Namespace")

    assert kustomization()["namespace"] == namespace.name == "fabrika"
    assert all("namespace" not in m.body["metadata"] for m in manifests())


def test_the_migration_can_be_applied_before_the_rest() -> None:
    """deploy/README.md applies `-l 'app.kubernetes.io/component in (config,migration)'`
    first: that must pick the Job and the settings it reads, and nothing else."""
    picked = {
        (m.kind, m.name)
        for m in manifests()
        if m.body["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        in ("config", "migration")
    }

    assert picked == {("ConfigMap", "fabrika"), ("Job", "migrate")}


def test_every_pod_runs_the_image_kustomize_sets() -> None:
    (image,) = kustomization()["images"]

    for _, container in pod_containers():
        assert container["image"].split(":")[0] == image["name"]


def test_every_pod_reads_the_settings_config_map_and_the_database_secret() -> None:
    (config,) = of_kind("ConfigMap")

    for workload, container in pod_containers():
        env = {e["name"]: e for e in container.get("env", [])}
        sources = [s["configMapRef"]["name"] for s in container["envFrom"]]
        assert sources == [config.name], str(workload)
        assert env["FABRIKA_DATABASE_URL"]["valueFrom"] == DATABASE_URL, str(workload)


def test_the_config_map_holds_only_settings_fabrika_knows() -> None:
    (config,) = of_kind("ConfigMap")
    known = {f"FABRIKA_{name.upper()}" for name in Settings.model_fields}

    assert set(config.body["data"]) <= known
    assert "FABRIKA_DATABASE_URL" not in config.body["data"]


def test_services_call_each_other_through_the_gateway_s_internal_listener() -> None:
    """GEP-1762: an in-cluster Gateway's Service is named "<gateway>-<class>"."""
    (config,) = of_kind("ConfigMap")
    (gateway,) = of_kind("Gateway")
    listeners = {listener["name"]: listener for listener in gateway.spec["listeners"]}

    settings = config.body["data"]
    assert settings["FABRIKA_HOST"] == f"{gateway.name}-{gateway.spec['gatewayClassName']}"
    assert int(settings["FABRIKA_INTERNAL_PORT"]) == listeners["internal"]["port"]


def test_every_route_backend_is_a_service_on_a_port_it_has() -> None:
    ports = {s.name: {p["port"] for p in s.spec["ports"]} for s in of_kind("Service")}

    for route in of_kind("HTTPRoute"):
        for rule in route.spec["rules"]:
            for backend in rule["backendRefs"]:
                assert backend["port"] == SERVICE_PORT
                assert backend["port"] in ports.get(backend["name"], set()), str(route)


def test_no_secret_is_committed() -> None:
    assert not of_kind("Secret")


DEPLOY_FILES = sorted(p for p in KUBERNETES_DIR.parent.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "path", DEPLOY_FILES, ids=lambda p: str(p.relative_to(KUBERNETES_DIR.parent))
)
def test_no_file_in_deploy_holds_a_url_with_a_password(path: Path) -> None:
    assert not URL_WITH_PASSWORD.search(path.read_text(encoding="utf-8"))


def test_the_password_check_would_catch_one() -> None:
    assert URL_WITH_PASSWORD.search("postgresql://fabrika:s3cret@db:5432/fabrika")
    assert not URL_WITH_PASSWORD.search("postgresql://fabrika@db:5432/fabrika")


def test_migrations_run_as_a_job_of_the_fabrika_command() -> None:
    job = one("Job", "migrate")
    (container,) = job.spec["template"]["spec"]["containers"]

    assert container["command"] == ["fabrika", "migrate"]
    assert job.spec["template"]["spec"]["restartPolicy"] == "Never"
