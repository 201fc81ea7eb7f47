"""The Grafana dashboards in deploy/grafana are the generator's output, and every query in
them parses as PromQL (Prometheus's own parser, through promtool) and names only metrics
the platform exports or the rules record."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.deploy.observability import (
    DEPLOY_DIR,
    known_metrics,
    output_of,
    run,
    selected_metrics,
    tool,
)

GRAFANA_DIR = DEPLOY_DIR / "grafana"
GENERATOR = GRAFANA_DIR / "dashboards.py"
DASHBOARDS = ("overview", "orders", "mes", "gateway", "notifications")
# Grafana's own variables, as Prometheus would see them once Grafana has filled them in.
GRAFANA_VARIABLES = {"$__rate_interval": "1m"}


def committed() -> dict[str, dict]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(GRAFANA_DIR.glob("*.json"))
    }


def queries(board: dict) -> list[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables filled in) for every panel target."""
    found = []
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            found.append((panel["title"], expr))
    return found


ALL_QUERIES = [(name, *q) for name, board in committed().items() for q in queries(board)]


def test_the_committed_dashboards_are_the_generator_s_output(tmp_path: Path) -> None:
    # -B: no __pycache__ left in deploy/.
    subprocess.run(
        [sys.executable, "-B", str(GENERATOR), "--output", str(tmp_path)], check=True, timeout=60
    )

    generated = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*")}
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in GRAFANA_DIR.glob("*.json")}
    assert on_disk == generated, (
        "deploy/grafana is stale: run `python deploy/grafana/dashboards.py`"
    )


def test_there_is_a_dashboard_for_each_part_of_the_platform() -> None:
    assert sorted(committed()) == sorted(DASHBOARDS)
    assert {board["uid"] for board in committed().values()} == {f"fabrika-{n}" for n in DASHBOARDS}


@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_panel_reads_the_prometheus_the_dashboard_user_picks(name: str) -> None:
    board = committed()[name]
    (variable,) = board["templating"]["list"]

    assert (variable["type"], variable["name"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"], f"{name}: {panel['title']} has no query"


@pytest.mark.parametrize("name", DASHBOARDS)
def test_panel_ids_and_titles_are_unique_within_a_dashboard(name: str) -> None:
    panels = committed()[name]["panels"]

    assert len({p["id"] for p in panels}) == len(panels)
    assert len({p["title"] for p in panels}) == len(panels)


def test_every_query_parses_as_prometheus_promql(tmp_path: Path) -> None:
    """promtool parses a rules file's expressions with Prometheus's own parser."""
    rules = [
        {"record": f"dashboard_query_{i}", "expr": expr} for i, (*_, expr) in enumerate(ALL_QUERIES)
    ]
    rule_file = tmp_path / "dashboards.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))

    result = run(tool("promtool"), "check", "rules", str(rule_file))

    assert result.returncode == 0, output_of(result)
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


@pytest.mark.parametrize(("name", "title", "expr"), ALL_QUERIES, ids=lambda v: str(v)[:40])
def test_every_query_names_only_metrics_that_exist(name: str, title: str, expr: str) -> None:
    assert "$" not in expr, f"{name}: {title}: a Grafana variable the tests do not know"
    unknown = selected_metrics(expr) - known_metrics()

    assert not unknown, f"{name}: {title}: not in metrics.txt nor recorded: {sorted(unknown)}"


def test_the_generator_refuses_a_misspelt_panel_option(tmp_path: Path) -> None:
    spec = yaml.safe_load((GRAFANA_DIR / "dashboards.yml").read_text(encoding="utf-8"))
    spec["overview"]["rows"][0]["panels"][0]["unti"] = "none"
    script = tmp_path / "dashboards.py"
    script.write_text(GENERATOR.read_text(encoding="utf-8"))
    (tmp_path / "dashboards.yml").write_text(yaml.safe_dump(spec))

    result = subprocess.run(
        [sys.executable, "-B", str(script), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "unti" in result.stderr
