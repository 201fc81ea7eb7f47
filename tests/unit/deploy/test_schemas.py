"""Every manifest in deploy/kubernetes is valid, offline: built-in kinds against Kubernetes'
own OpenAPI schemas (kubernetes-validate, strict: unknown fields are errors), custom
resources against the compact CRD schemas in crd_schemas.py."""

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from tests.unit.deploy.crd_schemas import SCHEMAS
from tests.unit.deploy.manifests import Manifest, manifests, of_kind, one

# The oldest release with everything used here in GA or on by default (the PDBs'
# unhealthyPodEvictionPolicy is GA in 1.31; the preStop sleep action is on since 1.30),
# and the newest release kubernetes-validate bundles.
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")

BUILT_IN = [m for m in manifests() if (m.body["apiVersion"], m.kind) not in SCHEMAS]
CUSTOM = [m for m in manifests() if (m.body["apiVersion"], m.kind) in SCHEMAS]


def validate_custom(body: dict[str, Any]) -> None:
    schema = SCHEMAS[(body["apiVersion"], body["kind"])]
    jsonschema.Draft202012Validator(schema).validate(body)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("manifest", BUILT_IN, ids=str)
def test_every_built_in_object_is_valid_for_kubernetes(manifest: Manifest, version: str) -> None:
    kubernetes_validate.validate(manifest.body, version, strict=True)


@pytest.mark.parametrize("manifest", CUSTOM, ids=str)
def test_every_custom_resource_matches_its_crd(manifest: Manifest) -> None:
    validate_custom(manifest.body)


def test_the_manifests_hold_every_kind_of_object_the_deployment_needs() -> None:
    kinds = {m.kind for m in manifests()}

    assert kinds >= {
        "Namespace",
        "ConfigMap",
        "Job",
        "Deployment",
        "StatefulSet",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ScaledObject",
        "Gateway",
        "HTTPRoute",
        "ServiceMonitor",
        "PrometheusRule",
    }


def test_a_misspelt_field_is_rejected() -> None:
    deployment = copy.deepcopy(one("Deployment", "shop").body)
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError, match="livenesProbe"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


def test_a_value_of_the_wrong_type_is_rejected() -> None:
    pdb = copy.deepcopy(one("PodDisruptionBudget", "shop").body)
    pdb["spec"]["unhealthyPodEvictionPolicy"] = ["AlwaysAllow"]

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pdb, KUBERNETES_VERSIONS[0], strict=True)


def test_a_scaled_object_without_a_target_is_rejected() -> None:
    scaled = copy.deepcopy(one("ScaledObject", "quote").body)
    del scaled["spec"]["scaleTargetRef"]

    with pytest.raises(jsonschema.ValidationError, match="scaleTargetRef"):
        validate_custom(scaled)


def test_a_postgresql_trigger_without_a_query_is_rejected() -> None:
    scaled = copy.deepcopy(one("ScaledObject", "quote").body)
    del scaled["spec"]["triggers"][0]["metadata"]["query"]

    with pytest.raises(jsonschema.ValidationError, match="query"):
        validate_custom(scaled)


def test_a_trigger_value_that_is_not_a_string_is_rejected() -> None:
    scaled = copy.deepcopy(one("ScaledObject", "quote").body)
    scaled["spec"]["triggers"][0]["metadata"]["targetQueryValue"] = 2

    with pytest.raises(jsonschema.ValidationError):
        validate_custom(scaled)


@pytest.mark.parametrize("value", ["api/v1", "/api//v1", "/api/../admin", "/api/."])
def test_a_path_gateway_api_would_refuse_is_rejected(value: str) -> None:
    route = copy.deepcopy(one("HTTPRoute", "shop").body)
    route["spec"]["rules"][0]["matches"][0]["path"]["value"] = value

    with pytest.raises(jsonschema.ValidationError):
        validate_custom(route)


def test_a_service_backend_without_a_port_is_rejected() -> None:
    route = copy.deepcopy(one("HTTPRoute", "shop").body)
    del route["spec"]["rules"][0]["backendRefs"][0]["port"]

    with pytest.raises(jsonschema.ValidationError, match="port"):
        validate_custom(route)


def test_a_listener_without_a_protocol_is_rejected() -> None:
    (gateway,) = of_kind("Gateway")
    broken = copy.deepcopy(gateway.body)
    del broken["spec"]["listeners"][0]["protocol"]

    with pytest.raises(jsonschema.ValidationError, match="protocol"):
        validate_custom(broken)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_hpa_keda_makes_for_the_quote_workers_is_valid(version: str) -> None:
    """KEDA copies `advanced.horizontalPodAutoscalerConfig.behavior` into an autoscaling/v2
    HPA of its own, so the behavior must pass Kubernetes' schema for one."""
    scaled = one("ScaledObject", "quote")
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": f"keda-hpa-{scaled.name}"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "quote"},
            "minReplicas": scaled.spec["minReplicaCount"],
            "maxReplicas": scaled.spec["maxReplicaCount"],
            "behavior": scaled.spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"],
        },
    }

    kubernetes_validate.validate(hpa, version, strict=True)


def a_rule(kind: str) -> dict[str, Any]:
    """A copy of the first rule of this kind ("alert" or "record") in the manifests."""
    for rules in of_kind("PrometheusRule"):
        for group in rules.spec["groups"]:
            for rule in group["rules"]:
                if kind in rule:
                    return copy.deepcopy(rule)
    raise AssertionError(f"no {kind} rule in the PrometheusRules")


def prometheus_rule_with(rule: dict[str, Any]) -> dict[str, Any]:
    (first, *_) = of_kind("PrometheusRule")
    body = copy.deepcopy(first.body)
    body["spec"]["groups"] = [{"name": "probe", "rules": [rule]}]
    return body


def test_a_rule_that_records_and_alerts_at_once_is_rejected() -> None:
    rule = a_rule("alert")
    rule["record"] = "fabrika:probe"

    with pytest.raises(jsonschema.ValidationError):
        validate_custom(prometheus_rule_with(rule))


def test_a_recording_rule_with_a_for_duration_is_rejected() -> None:
    rule = a_rule("record")
    rule["for"] = "5m"

    with pytest.raises(jsonschema.ValidationError):
        validate_custom(prometheus_rule_with(rule))


def test_an_alert_with_a_duration_prometheus_cannot_read_is_rejected() -> None:
    rule = a_rule("alert")
    rule["for"] = "5 minutes"

    with pytest.raises(jsonschema.ValidationError, match="5 minutes"):
        validate_custom(prometheus_rule_with(rule))


def test_a_service_monitor_without_endpoints_is_rejected() -> None:
    monitor = copy.deepcopy(one("ServiceMonitor", "fabrika").body)
    del monitor["spec"]["endpoints"]

    with pytest.raises(jsonschema.ValidationError, match="endpoints"):
        validate_custom(monitor)
