"""The cluster's monitoring objects: the PrometheusRules are the rule files, rendered, and
the ServiceMonitor scrapes every Service of the platform where its metrics are."""

import subprocess
import sys
from pathlib import Path

from tests.unit.deploy.manifests import KUBERNETES_DIR, of_kind, one, selects, workloads
from tests.unit.deploy.observability import PROMETHEUS_DIR, load_yaml, rule_files

RENDERER = PROMETHEUS_DIR / "render_kubernetes.py"
COMMITTED = KUBERNETES_DIR / "prometheus-rules.yaml"


def test_the_committed_prometheus_rules_are_the_rendering_of_the_rule_files(
    tmp_path: Path,
) -> None:
    rendered = tmp_path / "prometheus-rules.yaml"

    # -B: no __pycache__ left in deploy/.
    subprocess.run(
        [sys.executable, "-B", str(RENDERER), "--output", str(rendered)], check=True, timeout=60
    )

    assert COMMITTED.read_text(encoding="utf-8") == rendered.read_text(encoding="utf-8"), (
        "deploy/kubernetes/prometheus-rules.yaml is stale: "
        "run `python deploy/prometheus/render_kubernetes.py`"
    )


def test_each_rule_file_is_one_prometheus_rule_with_the_same_groups() -> None:
    objects = {rule.name: rule.spec["groups"] for rule in of_kind("PrometheusRule")}

    assert objects == {f"fabrika-{path.stem}": load_yaml(path)["groups"] for path in rule_files()}


def test_the_service_monitor_scrapes_every_service_of_the_platform_on_a_port_it_has() -> None:
    monitor = one("ServiceMonitor", "fabrika")
    (endpoint,) = monitor.spec["endpoints"]
    selected = [
        service
        for service in of_kind("Service")
        if selects(monitor.spec["selector"]["matchLabels"], service.body["metadata"]["labels"])
    ]

    assert {service.name for service in selected} == set(workloads())
    for service in selected:
        assert endpoint["port"] in {port["name"] for port in service.spec["ports"]}, service.name
    assert endpoint["path"] == "/metrics"


def test_the_service_monitor_keeps_the_service_label_the_rules_group_by() -> None:
    (endpoint,) = one("ServiceMonitor", "fabrika").spec["endpoints"]

    assert endpoint["honorLabels"] is True
