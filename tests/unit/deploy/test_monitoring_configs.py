"""The Prometheus and Alertmanager configurations for the platform on one machine: accepted
by promtool and amtool, scraping where the platform listens, mailing the development SMTP
sink, inhibiting only alerts that exist."""

import re
from pathlib import Path

import yaml

from fabrika.core.settings import Settings
from fabrika.platform.topology import HTTP_SERVICES, MAX_INSTANCES
from tests.unit.deploy.observability import PROMETHEUS_DIR, alerts, load_yaml, output_of, run, tool

CONFIG = PROMETHEUS_DIR / "alertmanager.yml"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"


def default(setting: str) -> int:
    return Settings.model_fields[setting].default


def static_ports() -> dict[str, int]:
    """Each statically configured scrape job's port."""
    return {
        job["job_name"]: int(target.rsplit(":", 1)[1])
        for job in load_yaml(PROMETHEUS_CONFIG)["scrape_configs"]
        for group in job.get("static_configs", [])
        for target in group["targets"]
    }


def test_promtool_accepts_the_prometheus_configuration_and_its_rules() -> None:
    result = run(tool("promtool"), "check", "config", str(PROMETHEUS_CONFIG))

    assert result.returncode == 0, output_of(result)
    assert f"SUCCESS: {len(list((PROMETHEUS_DIR / 'rules').glob('*.yml')))} rule files found" in (
        result.stdout
    )


def test_prometheus_scrapes_the_gateway_s_metrics_port() -> None:
    assert static_ports()["gateway"] == default("stats_port")


def test_the_exporters_listen_outside_the_services_ports() -> None:
    first = default("service_port_base")
    services = range(first, first + MAX_INSTANCES * len(HTTP_SERVICES))

    for job in ("postgres", "redis"):
        assert static_ports()[job] not in services, job


def test_amtool_accepts_the_configuration() -> None:
    result = run(tool("amtool"), "check-config", str(CONFIG))

    assert result.returncode == 0, output_of(result)


def test_amtool_rejects_a_route_to_a_receiver_that_does_not_exist(tmp_path: Path) -> None:
    config = load_yaml(CONFIG)
    config["route"]["receiver"] = "nobody"
    broken = tmp_path / "alertmanager.yml"
    broken.write_text(yaml.safe_dump(config))

    result = run(tool("amtool"), "check-config", str(broken))

    assert result.returncode != 0, output_of(result)


def test_alerts_are_mailed_to_the_development_sink_on_its_default_port() -> None:
    host, port = load_yaml(CONFIG)["global"]["smtp_smarthost"].rsplit(":", 1)

    assert host == "127.0.0.1"
    assert int(port) == default("smtp_port")


def test_every_alert_an_inhibit_rule_names_exists() -> None:
    named = {
        name
        for rule in load_yaml(CONFIG)["inhibit_rules"]
        for matcher in rule["source_matchers"] + rule["target_matchers"]
        for name in re.findall(r"Fabrika\w+", matcher)
    }

    assert named
    assert named <= set(alerts())
