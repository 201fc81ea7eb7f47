"""Build the Grafana dashboards described in dashboards.yml with grafana-foundation-sdk and
write each as JSON beside it, to import into Grafana or provision as they are.

    python deploy/grafana/dashboards.py            # writes deploy/grafana/<name>.json
    python deploy/grafana/dashboards.py -o DIR     # writes them into DIR instead

The SDK's builders come from Grafana's own schemas: a misspelt option is an error here,
not a key Grafana silently ignores.
"""

import argparse
import json
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import DataSourceRef, LegendDisplayMode, LegendPlacement

HERE = Path(__file__).parent
SPEC = HERE / "dashboards.yml"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
PLANNED = "Planned metric: empty until the service exports it."
SIZES = {"graph": (12, 8), "stat": (4, 4)}  # (width of 24, height)
PANEL_KEYS = {"unit", "queries", "description", "planned"}
QUERY_KEYS = {"expr", "legend"}


def query(spec: dict[str, str], ref: str) -> prometheus.Dataquery:
    if unknown := set(spec) - QUERY_KEYS:
        raise ValueError(f"query {spec.get('expr')!r}: unknown keys {sorted(unknown)}")
    return (
        prometheus.Dataquery().expr(spec["expr"]).legend_format(spec.get("legend", "")).ref_id(ref)
    )


def panel(spec: dict[str, Any], panel_id: int) -> timeseries.Panel | stat.Panel:
    """A graph or a stat from its entry in dashboards.yml; unknown keys are refused."""
    (kind,) = set(spec) & set(SIZES)
    if unknown := set(spec) - PANEL_KEYS - {kind}:
        raise ValueError(f"panel {spec[kind]!r}: unknown keys {sorted(unknown)}")
    if kind == "stat":
        if len(spec["queries"]) != 1:
            raise ValueError(f"stat {spec[kind]!r} needs exactly one query")
        built = stat.Panel().reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
    else:
        built = timeseries.Panel().legend(
            common.VizLegendOptions()
            .show_legend(True)
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
        )
    width, height = SIZES[kind]
    built = built.id(panel_id).title(spec[kind]).unit(spec["unit"]).datasource(DATASOURCE)
    built = built.span(width).height(height)
    for index, target in enumerate(spec["queries"]):
        built = built.with_target(query(target, chr(ord("A") + index)))
    description = " ".join(
        filter(None, [PLANNED if spec.get("planned") else "", spec.get("description", "")])
    )
    return built.description(description) if description else built


def build(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """One dashboard as Grafana's JSON model."""
    built = (
        dashboard.Dashboard(spec["title"])
        .uid(f"fabrika-{name}")
        .description(spec["description"])
        .tags(["fabrika"])
        .time("now-6h", "now")
        .refresh("30s")
        .with_variable(
            dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus")
        )
    )
    panel_id = 0
    for row in spec["rows"]:
        panel_id += 1
        built = built.with_row(dashboard.Row(row["title"]).id(panel_id))
        for entry in row["panels"]:
            panel_id += 1
            built = built.with_panel(panel(entry, panel_id))
    return json.loads(json.dumps(built.build(), cls=JSONEncoder))


def write(directory: Path) -> None:
    specs = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    for name, spec in specs.items():
        text = json.dumps(build(name, spec), indent=2, ensure_ascii=False) + "\n"
        (directory / f"{name}.json").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE)
    write(parser.parse_args().output)


if __name__ == "__main__":
    main()
