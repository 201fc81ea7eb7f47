"""The manifests under deploy/kubernetes, read once, for the tests to look into."""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

KUBERNETES_DIR = Path(__file__).parents[3] / "deploy" / "kubernetes"
KUSTOMIZATION = "kustomization.yaml"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet"})


@dataclass(frozen=True)
class Manifest:
    """One object of one file."""

    file: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def name(self) -> str:
        return self.body["metadata"]["name"]

    @property
    def spec(self) -> dict[str, Any]:
        return self.body["spec"]

    def __str__(self) -> str:
        return f"{self.file}:{self.kind}/{self.name}"


def manifest_files() -> list[Path]:
    """Every YAML file of the folder but kustomize's own."""
    return sorted(p for p in KUBERNETES_DIR.glob("*.yaml") if p.name != KUSTOMIZATION)


@cache
def manifests() -> tuple[Manifest, ...]:
    return tuple(
        Manifest(path.name, body)
        for path in manifest_files()
        for body in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if body is not None
    )


def of_kind(*kinds: str) -> list[Manifest]:
    return [m for m in manifests() if m.kind in kinds]


def one(kind: str, name: str) -> Manifest:
    found = [m for m in of_kind(kind) if m.name == name]
    assert len(found) == 1, f"expected one {kind} called {name!r}, found {len(found)}"
    return found[0]


def workloads() -> dict[str, Manifest]:
    """The Deployments and StatefulSets that run Fabrika's services, by name."""
    return {m.name: m for m in of_kind(*WORKLOAD_KINDS)}


def pod_spec(workload: Manifest) -> dict[str, Any]:
    return workload.spec["template"]["spec"]


def pod_labels(workload: Manifest) -> dict[str, str]:
    return workload.spec["template"]["metadata"]["labels"]


def containers(workload: Manifest) -> Iterator[dict[str, Any]]:
    yield from pod_spec(workload)["containers"]


def main_container(workload: Manifest) -> dict[str, Any]:
    (container,) = pod_spec(workload)["containers"]
    return container


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())
