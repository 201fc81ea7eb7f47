"""The cluster scales as `fabrika up` does: the HPAs and the ScaledObject carry the targets,
bounds and windows of src/fabrika/platform/autoscaling.toml."""

import re

import pytest
from dbos._schemas.system_database import SystemSchema
from dbos._sys_db import WorkflowStatusString

from fabrika.core.telemetry import HTTP_IN_FLIGHT
from fabrika.platform.autoscaling import load_policies
from tests.unit.deploy.manifests import Manifest, of_kind, workloads

INTERVAL_S, POLICIES = load_policies()
IN_FLIGHT = sorted(s for s, (_, spec) in POLICIES.items() if spec.metric == "in_flight")
QUEUE = sorted(s for s, (_, spec) in POLICIES.items() if spec.metric == "queue")


def quantity(text: str) -> float:
    """A Kubernetes quantity as the HPA reads it ("8", "2500m")."""
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def scaler_of(kind: str, service: str) -> Manifest:
    (found,) = [m for m in of_kind(kind) if m.spec["scaleTargetRef"]["name"] == service]
    return found


def test_the_policies_cover_both_kinds_of_metric() -> None:
    assert IN_FLIGHT and QUEUE


@pytest.mark.parametrize("service", IN_FLIGHT)
def test_an_hpa_keeps_the_policy_s_bounds_and_window(service: str) -> None:
    policy, _ = POLICIES[service]
    hpa = scaler_of("HorizontalPodAutoscaler", service)

    assert (hpa.spec["minReplicas"], hpa.spec["maxReplicas"]) == (policy.minimum, policy.maximum)
    assert hpa.spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == policy.stabilization_s
    assert hpa.spec["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0


@pytest.mark.parametrize("service", IN_FLIGHT)
def test_an_hpa_targets_the_policy_s_requests_in_flight_per_pod(service: str) -> None:
    policy, _ = POLICIES[service]
    hpa = scaler_of("HorizontalPodAutoscaler", service)

    (pods,) = [m["pods"] for m in hpa.spec["metrics"] if m["type"] == "Pods"]
    assert pods["metric"]["name"] == HTTP_IN_FLIGHT.describe()[0].name
    assert pods["target"]["type"] == "AverageValue"
    assert quantity(pods["target"]["averageValue"]) == policy.target


@pytest.mark.parametrize("service", IN_FLIGHT)
def test_an_hpa_also_scales_on_cpu(service: str) -> None:
    hpa = scaler_of("HorizontalPodAutoscaler", service)

    (cpu,) = [m["resource"] for m in hpa.spec["metrics"] if m["type"] == "Resource"]
    assert cpu["name"] == "cpu"
    assert 0 < cpu["target"]["averageUtilization"] <= 100


@pytest.mark.parametrize("service", QUEUE)
def test_a_scaled_object_keeps_the_policy_s_bounds_window_and_target(service: str) -> None:
    policy, _ = POLICIES[service]
    scaled = scaler_of("ScaledObject", service)
    behavior = scaled.spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    (trigger,) = scaled.spec["triggers"]

    assert (scaled.spec["minReplicaCount"], scaled.spec["maxReplicaCount"]) == (
        policy.minimum,
        policy.maximum,
    )
    assert scaled.spec["pollingInterval"] == INTERVAL_S
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == policy.stabilization_s
    assert trigger["type"] == "postgresql"
    assert trigger["metricType"] == "AverageValue"
    assert float(trigger["metadata"]["targetQueryValue"]) == policy.target


@pytest.mark.parametrize("service", QUEUE)
def test_the_queue_query_counts_waiting_and_running_jobs_of_the_policy_s_queue(
    service: str,
) -> None:
    _, spec = POLICIES[service]
    (trigger,) = scaler_of("ScaledObject", service).spec["triggers"]
    query = " ".join(trigger["metadata"]["query"].split())

    found = re.fullmatch(
        r"SELECT count\(\*\) FROM dbos\.(\w+) WHERE (\w+) = '([\w-]+)' AND (\w+) IN \((.*)\)",
        query,
    )
    assert found, query
    table, queue_column, queue, status_column, statuses = found.groups()
    assert table == SystemSchema.workflow_status.name
    assert {queue_column, status_column} <= set(SystemSchema.workflow_status.c.keys())
    assert (queue_column, status_column) == ("queue_name", "status")
    assert queue == spec.queue
    assert {s.strip().strip("'") for s in statuses.split(",")} == {
        WorkflowStatusString.ENQUEUED.value,
        WorkflowStatusString.PENDING.value,
    }


@pytest.mark.parametrize("service", QUEUE)
def test_the_queue_query_reads_the_database_url_the_workers_use(service: str) -> None:
    (trigger,) = scaler_of("ScaledObject", service).spec["triggers"]
    (container,) = workloads()[service].spec["template"]["spec"]["containers"]

    variable = trigger["metadata"]["connectionFromEnv"]
    assert variable in {e["name"] for e in container["env"]}


def test_every_autoscaler_targets_an_existing_deployment() -> None:
    deployments = {name for name, w in workloads().items() if w.kind == "Deployment"}

    for scaler in of_kind("HorizontalPodAutoscaler", "ScaledObject"):
        assert scaler.spec["scaleTargetRef"]["name"] in deployments, str(scaler)
        assert scaler.spec["scaleTargetRef"].get("kind", "Deployment") == "Deployment"


def test_no_deployment_is_scaled_by_both_an_hpa_and_a_scaled_object() -> None:
    """KEDA makes its own HPA for a ScaledObject; a second one would fight it."""
    by_hpa = [s.spec["scaleTargetRef"]["name"] for s in of_kind("HorizontalPodAutoscaler")]
    by_keda = [s.spec["scaleTargetRef"]["name"] for s in of_kind("ScaledObject")]

    assert len(by_hpa) == len(set(by_hpa)) and len(by_keda) == len(set(by_keda))
    assert not set(by_hpa) & set(by_keda)


def test_autoscaled_deployments_leave_the_replica_count_to_their_autoscaler() -> None:
    """A replicas field would reset the count the autoscaler chose on every apply."""
    scaled = {
        s.spec["scaleTargetRef"]["name"] for s in of_kind("HorizontalPodAutoscaler", "ScaledObject")
    }

    assert scaled == set(IN_FLIGHT) | set(QUEUE)
    for name in scaled:
        assert "replicas" not in workloads()[name].spec, name
