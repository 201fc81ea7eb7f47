"""The Prometheus rules, their tests and the metric list under deploy/prometheus, read once,
the metric names a PromQL expression selects, and the real tools that check them."""

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import promql_parser
import yaml

DEPLOY_DIR = Path(__file__).parents[3] / "deploy"
PROMETHEUS_DIR = DEPLOY_DIR / "prometheus"
RULES_DIR = PROMETHEUS_DIR / "rules"
RULE_TESTS_DIR = PROMETHEUS_DIR / "tests"
METRICS_LIST = PROMETHEUS_DIR / "metrics.txt"
RUNBOOKS = DEPLOY_DIR.parent / "docs" / "runbooks.md"
TOOL_TIMEOUT_S = 120


def tool(name: str) -> str:
    """A binary from Debian's Prometheus packages; `make system` installs them."""
    found = shutil.which(name) or f"/usr/bin/{name}"
    assert Path(found).is_file(), f"{name} is not installed: run `make system`"
    return found


def run(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a tool to completion (bounded); its output goes with any failure message."""
    return subprocess.run(command, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yml"))


def rule_test_files() -> list[Path]:
    return sorted(RULE_TESTS_DIR.glob("*.test.yml"))


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def rules() -> tuple[dict[str, Any], ...]:
    """Every rule of every group of every rule file."""
    return tuple(
        rule
        for path in rule_files()
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
    )


def alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules() if "alert" in rule}


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


@cache
def metric_list() -> dict[str, frozenset[str]]:
    """metrics.txt's sections: section name → metric names."""
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for raw in METRICS_LIST.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), set())
        elif line:
            assert current is not None, f"{line!r} comes before any [section]"
            current.add(line)
    return {name: frozenset(names) for name, names in sections.items()}


def known_metrics() -> set[str]:
    """What an expression may select: every listed metric and every recorded name."""
    return set().union(*metric_list().values()) | recorded_names()


def selectors(expr: str) -> list[promql_parser.VectorSelector]:
    """The vector selectors of a PromQL expression (raises ValueError if it does not parse)."""
    found: list[promql_parser.VectorSelector] = []

    def walk(node: Any) -> None:
        match node:
            case promql_parser.VectorSelector():
                found.append(node)
            case promql_parser.MatrixSelector():
                walk(node.vector_selector)
            case promql_parser.BinaryExpr():
                walk(node.lhs)
                walk(node.rhs)
            case promql_parser.AggregateExpr():
                walk(node.expr)
                if node.param is not None:
                    walk(node.param)
            case promql_parser.Call():
                for argument in node.args:
                    walk(argument)
            case promql_parser.ParenExpr() | promql_parser.UnaryExpr():
                walk(node.expr)
            case promql_parser.SubqueryExpr():
                walk(node.expr)
            case promql_parser.NumberLiteral() | promql_parser.StringLiteral():
                pass
            case _:
                raise TypeError(f"unexpected PromQL node {type(node).__name__} in {expr!r}")

    walk(promql_parser.parse(expr))
    return found


def selected_metrics(expr: str) -> set[str]:
    """The metric names an expression selects; every selector must name its metric."""
    names = set()
    for selector in selectors(expr):
        assert selector.name, f"a selector without a metric name in {expr!r}"
        names.add(selector.name)
    return names


def bucket_bounds(expr: str) -> set[tuple[str, str]]:
    """(histogram, le) for every `le="…"` matcher on a `_bucket` series in the expression."""
    return {
        (selector.name.removesuffix("_bucket"), matcher.value)
        for selector in selectors(expr)
        if selector.name and selector.name.endswith("_bucket")
        for matcher in selector.matchers.matchers
        if matcher.name == "le"
    }
