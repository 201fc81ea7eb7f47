"""The pods in deploy/kubernetes start, answer probes, stop and get disrupted the way the
platform expects (CONVENTIONS.md, "Kubernetes")."""

import inspect
import re

import pytest

from fabrika import cli
from fabrika.core import workflows
from tests.unit.deploy.manifests import (
    containers,
    main_container,
    of_kind,
    pod_labels,
    pod_spec,
    selects,
    workloads,
)

SERVICES = sorted(cli.APPS)
WORKERS = ("saga", "quote")


def uvicorn_option(container: dict, option: str) -> str:
    """The value of `--option=value` on the container's uvicorn command line."""
    values = [a.split("=", 1)[1] for a in container["command"] if a.startswith(f"--{option}=")]
    assert len(values) == 1, f"{container['name']}: expected one --{option}"
    return values[0]


def keyword_in_source(function: object, keyword: str) -> int:
    """A whole-number keyword argument as written in `function`'s source."""
    found = re.search(rf"\b{keyword}=(\d+)", inspect.getsource(function))
    assert found, f"{keyword}= not found in {function}"
    return int(found.group(1))


def test_every_service_of_the_platform_has_a_workload() -> None:
    assert sorted(workloads()) == SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_a_pod_runs_its_service_s_app_factory(service: str) -> None:
    command = main_container(workloads()[service])["command"]

    assert command[:2] == ["uvicorn", "--factory"]
    assert command[2] == f"{cli.APPS[service]}:build"
    assert "--host=0.0.0.0" in command


@pytest.mark.parametrize("service", SERVICES)
def test_a_pod_drains_and_keeps_connections_as_fabrika_serve_does(service: str) -> None:
    container = main_container(workloads()[service])

    for option in ("timeout-graceful-shutdown", "timeout-keep-alive"):
        keyword = option.replace("-", "_")
        assert int(uvicorn_option(container, option)) == keyword_in_source(cli._serve, keyword)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_a_service_selecting_its_pods_on_a_named_port(service: str) -> None:
    workload = workloads()[service]
    port_names = {port["name"] for port in main_container(workload)["ports"]}
    (kube_service,) = [s for s in of_kind("Service") if s.name == service]

    assert selects(kube_service.spec["selector"], pod_labels(workload))
    assert {port["targetPort"] for port in kube_service.spec["ports"]} <= port_names


@pytest.mark.parametrize("service", SERVICES)
def test_probes_ask_liveness_of_healthz_and_readiness_of_readyz(service: str) -> None:
    container = main_container(workloads()[service])

    probes = {
        kind: (container[kind]["httpGet"]["path"], container[kind]["httpGet"]["port"])
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert probes == {
        "startupProbe": ("/healthz", "http"),
        "livenessProbe": ("/healthz", "http"),
        "readinessProbe": ("/readyz", "http"),
    }


@pytest.mark.parametrize("service", SERVICES)
def test_the_grace_period_covers_the_pre_stop_sleep_the_drain_and_dbos_destroy(
    service: str,
) -> None:
    workload = workloads()[service]
    container = main_container(workload)
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain = int(uvicorn_option(container, "timeout-graceful-shutdown"))
    destroy = keyword_in_source(workflows.shutdown_executor, "workflow_completion_timeout_sec")

    assert pre_stop > 0
    assert pod_spec(workload)["terminationGracePeriodSeconds"] > pre_stop + drain + destroy


@pytest.mark.parametrize("service", SERVICES)
def test_every_container_has_cpu_and_memory_requests_and_limits(service: str) -> None:
    for container in containers(workloads()[service]):
        resources = container["resources"]
        assert set(resources["requests"]) == {"cpu", "memory"}
        assert set(resources["limits"]) == {"cpu", "memory"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_workload_has_a_disruption_budget_that_lets_unhealthy_pods_go(
    service: str,
) -> None:
    labels = pod_labels(workloads()[service])

    budgets = [
        b
        for b in of_kind("PodDisruptionBudget")
        if selects(b.spec["selector"]["matchLabels"], labels)
    ]
    assert len(budgets) == 1
    assert budgets[0].spec["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert budgets[0].spec.get("maxUnavailable") == 1


def test_a_budget_never_blocks_every_eviction_of_a_workload_of_fixed_size() -> None:
    """maxUnavailable 1 needs two pods at least, or a drain takes the service down."""
    fixed = {name: w for name, w in workloads().items() if "replicas" in w.spec}

    assert fixed and all(w.spec["replicas"] >= 2 for w in fixed.values())


@pytest.mark.parametrize("worker", WORKERS)
def test_a_worker_takes_its_pod_name_as_executor_id(worker: str) -> None:
    env = {e["name"]: e for e in main_container(workloads()[worker])["env"]}

    assert env["FABRIKA_EXECUTOR_ID"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}


def test_saga_workers_keep_their_names_in_a_stateful_set_with_a_headless_service() -> None:
    saga = workloads()["saga"]
    (governing,) = [s for s in of_kind("Service") if s.name == saga.spec["serviceName"]]

    assert saga.kind == "StatefulSet"
    assert governing.spec["clusterIP"] == "None"


def test_http_services_are_not_given_executor_ids() -> None:
    for name, workload in workloads().items():
        names = {e["name"] for e in main_container(workload).get("env", [])}
        assert ("FABRIKA_EXECUTOR_ID" in names) == (name in WORKERS), name


@pytest.mark.parametrize("service", SERVICES)
def test_pods_meet_the_restricted_pod_security_standard(service: str) -> None:
    """The namespace warns on pods that do not meet "restricted"; ours never should."""
    workload = workloads()[service]
    pod_security = pod_spec(workload)["securityContext"]

    assert pod_security["runAsNonRoot"] is True
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in containers(workload):
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
