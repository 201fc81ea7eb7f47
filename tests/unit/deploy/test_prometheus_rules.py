"""The rules in deploy/prometheus pass Prometheus's own checks (promtool), every alert is
unit-tested both ways, links a runbook section that exists, and every expression names
only metrics the platform exports."""

import re
from pathlib import Path

import pytest

from tests.unit.deploy.metrics_registry import histogram_bounds
from tests.unit.deploy.observability import (
    RULES_DIR,
    RUNBOOKS,
    alerts,
    bucket_bounds,
    known_metrics,
    load_yaml,
    metric_list,
    output_of,
    rule_files,
    rule_test_files,
    rules,
    run,
    selected_metrics,
    selectors,
    tool,
)

SEVERITIES = {"page", "ticket"}
SOURCE_DIR = RULES_DIR.parents[2] / "src" / "fabrika"
RUNBOOK_PARTS = ("**Means.**", "**Check.**", "**Do.**")


def alert_tests() -> list[dict]:
    """Every alert_rule_test case of every promtool test file."""
    return [
        case
        for path in rule_test_files()
        for test in load_yaml(path)["tests"]
        for case in test.get("alert_rule_test", [])
    ]


def runbook_sections() -> dict[str, str]:
    """The runbooks' `## Name` sections, by name."""
    parts = re.split(r"^## (\S+)\n", RUNBOOKS.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_promtool_accepts_every_rule_file() -> None:
    result = run(tool("promtool"), "check", "rules", *map(str, rule_files()))

    assert result.returncode == 0, output_of(result)
    assert rule_files(), "no rule files found"


def test_every_promtool_unit_test_passes() -> None:
    result = run(tool("promtool"), "test", "rules", *map(str, rule_test_files()))

    assert result.returncode == 0, output_of(result)


def test_promtool_rejects_a_rule_that_does_not_parse(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("groups: [{name: b, rules: [{record: r, expr: 'rate(x[5m]'}]}]\n")

    result = run(tool("promtool"), "check", "rules", str(broken))

    assert result.returncode != 0, output_of(result)


def test_promtool_fails_a_unit_test_whose_alert_does_not_fire(tmp_path: Path) -> None:
    """The test files are only worth something if promtool fails an unmet expectation."""
    test_file = tmp_path / "never.test.yml"
    test_file.write_text(
        f"rule_files: [{RULES_DIR / 'infrastructure.yml'}]\n"
        "tests:\n"
        "  - interval: 1m\n"
        "    input_series:\n"
        "      - {series: 'redis_up{instance=\"r\"}', values: '1x10'}\n"
        "    alert_rule_test:\n"
        "      - eval_time: 5m\n"
        "        alertname: FabrikaRedisDown\n"
        "        exp_alerts: [{exp_labels: {severity: ticket, instance: r}}]\n"
    )

    result = run(tool("promtool"), "test", "rules", str(test_file))

    assert result.returncode != 0, output_of(result)


def test_every_rule_file_has_a_unit_test_file() -> None:
    tested = {
        (path.parent / name).resolve()
        for path in rule_test_files()
        for name in load_yaml(path)["rule_files"]
    }

    assert {path.resolve() for path in rule_files()} <= tested


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_every_alert_has_a_case_where_it_fires_and_one_where_it_stays_quiet(alert: str) -> None:
    cases = [case for case in alert_tests() if case["alertname"] == alert]

    assert any(case.get("exp_alerts") for case in cases), f"{alert} is never expected to fire"
    assert any(not case.get("exp_alerts") for case in cases), f"{alert} is never expected quiet"


def test_every_alert_a_test_names_exists() -> None:
    """promtool passes a test expecting silence from an alert that does not exist."""
    assert {case["alertname"] for case in alert_tests()} <= set(alerts())


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_every_alert_has_a_severity_a_summary_and_its_runbook(alert: str) -> None:
    rule = alerts()[alert]

    assert rule["labels"]["severity"] in SEVERITIES
    assert set(rule["annotations"]) == {"summary", "runbook_url"}
    assert rule["annotations"]["runbook_url"] == f"docs/runbooks.md#{alert.lower()}"


@pytest.mark.parametrize("alert", sorted(alerts()))
def test_every_alert_s_runbook_says_what_it_means_how_to_check_and_what_to_do(
    alert: str,
) -> None:
    section = runbook_sections().get(alert)

    assert section is not None, f"docs/runbooks.md has no section ## {alert}"
    for part in RUNBOOK_PARTS:
        assert part in section, f"{alert}'s runbook lacks {part}"


def test_every_runbook_section_belongs_to_an_alert() -> None:
    assert set(runbook_sections()) == set(alerts())


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.get("alert") or r["record"])
def test_every_rule_names_only_metrics_that_exist(rule: dict) -> None:
    unknown = selected_metrics(rule["expr"]) - known_metrics()

    assert not unknown, f"not in metrics.txt nor recorded: {sorted(unknown)}"


def test_the_metric_check_would_catch_a_misspelt_name() -> None:
    assert "fabrika_saga_overdue" in selected_metrics("max(fabrika_saga_overdue) > 0")
    assert "fabrika_saga_overdue" not in known_metrics()


def test_every_histogram_bucket_a_rule_selects_is_one_the_histogram_has() -> None:
    """A bucket boundary the histogram lacks selects nothing, and the SLO never alerts."""
    bounds = histogram_bounds()
    used = set().union(*(bucket_bounds(rule["expr"]) for rule in rules()))

    assert used, "no rule selects a histogram bucket"
    for histogram, le in used:
        assert le in bounds.get(histogram, set()), f"{histogram} has no bucket le={le!r}"


def test_every_planned_metric_is_described_in_the_services_rules() -> None:
    header = (RULES_DIR / "services.yml").read_text(encoding="utf-8").split("groups:")[0]
    families = {re.sub(r"_(bucket|count|sum)$", "", name) for name in metric_list()["planned"]}

    for family in families:
        assert re.search(rf"^#\s+{family}\b", header, flags=re.M), family


def test_the_failure_reasons_the_saga_alert_counts_are_codes_the_platform_raises() -> None:
    """A renamed code would quietly leave FabrikaSagasFailing counting nothing."""
    (rule,) = [r for r in rules() if r.get("record") == "fabrika:sagas_failed:ratio_rate15m"]
    (reasons,) = [
        matcher.value
        for selector in selectors(rule["expr"])
        for matcher in selector.matchers.matchers
        if matcher.name == "reason"
    ]
    source = "\n".join(p.read_text(encoding="utf-8") for p in SOURCE_DIR.rglob("*.py"))

    for code in reasons.split("|"):
        assert f'"{code}"' in source, f"no code {code!r} in src/fabrika"
