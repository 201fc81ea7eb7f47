"""Render the rule files in deploy/prometheus/rules as PrometheusRule objects (Prometheus
Operator), one per file, into deploy/kubernetes/prometheus-rules.yaml: the rules are
written once, here, and the cluster gets the same ones.

    python deploy/prometheus/render_kubernetes.py            # writes the file
    python deploy/prometheus/render_kubernetes.py -o PATH    # writes PATH instead
"""

import argparse
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).with_name("rules")
OUTPUT = Path(__file__).parents[1] / "kubernetes" / "prometheus-rules.yaml"
HEADER = """\
# Rendered from deploy/prometheus/rules/ by deploy/prometheus/render_kubernetes.py.
# Do not edit: edit the rule files and render again.
"""
LABELS = {
    "app.kubernetes.io/name": "fabrika",
    "app.kubernetes.io/component": "monitoring",
    "app.kubernetes.io/part-of": "fabrika",
}


class BlockDumper(yaml.SafeDumper):
    """Multi-line strings (expressions) as literal blocks, so they read as in the rules."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


BlockDumper.add_representer(str, _string)


def prometheus_rule(path: Path) -> dict[str, Any]:
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": f"fabrika-{path.stem}", "labels": LABELS},
        "spec": {"groups": groups},
    }


def render(rules_dir: Path = RULES_DIR) -> str:
    objects = [prometheus_rule(path) for path in sorted(rules_dir.glob("*.yml"))]
    return HEADER + yaml.dump_all(
        objects, Dumper=BlockDumper, sort_keys=False, explicit_start=True, width=100
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    args.output.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
