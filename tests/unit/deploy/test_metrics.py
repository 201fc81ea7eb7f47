"""deploy/prometheus/metrics.txt says what the platform exports, no more and no less:
Fabrika's names against prometheus_client's registry, HAProxy's against a real HAProxy
running the gateway's configuration."""

import pytest

from fabrika.gateway.haproxy import STATS_FRONTEND, Server, render_haproxy_config
from fabrika.gateway.routing import load_routing_table
from fabrika.platform.up import haproxy_binary
from tests.exporters import exposed_names, running, scrape_when_up
from tests.ports import free_port
from tests.unit.deploy.metrics_registry import registered_series
from tests.unit.deploy.observability import RULES_DIR, metric_list


def test_every_exported_name_is_registered_by_the_services() -> None:
    missing = metric_list()["exported"] - registered_series()

    assert not missing, f"listed as exported, not registered: {sorted(missing)}"


def test_every_metric_the_services_register_is_listed() -> None:
    unlisted = registered_series() - metric_list()["exported"]

    assert not unlisted, f"registered, missing from metrics.txt [exported]: {sorted(unlisted)}"


def test_no_planned_name_is_registered_yet() -> None:
    """Once one is implemented, move it from [planned] to [exported]."""
    implemented = metric_list()["planned"] & registered_series()

    assert not implemented, f"implemented, still listed as planned: {sorted(implemented)}"


def test_every_listed_name_is_in_one_section_only() -> None:
    sections = list(metric_list().values())

    for i, names in enumerate(sections):
        for other in sections[i + 1 :]:
            assert not names & other, sorted(names & other)


@pytest.fixture(scope="module")
def haproxy_metrics(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The /metrics of HAProxy running the configuration `fabrika up` renders."""
    run_dir = tmp_path_factory.mktemp("haproxy")
    table = load_routing_table()
    stats_port = free_port()
    config = run_dir / "haproxy.cfg"
    config.write_text(
        render_haproxy_config(
            table,
            ports={entry.name: free_port() for entry in table.entries},
            stats_port=stats_port,
            servers={"shop": [Server("shop-0", "127.0.0.1", free_port())]},
            runtime_socket=run_dir / "haproxy.sock",
            server_slots=1,
        )
    )
    log = run_dir / "haproxy.log"
    with running([haproxy_binary(), "-W", "-db", "-f", str(config)], log=log) as process:
        return scrape_when_up(f"http://127.0.0.1:{stats_port}/metrics", process, log)


def test_every_listed_haproxy_name_is_exported_by_haproxy(haproxy_metrics: str) -> None:
    missing = metric_list()["haproxy"] - exposed_names(haproxy_metrics)

    assert not missing, f"HAProxy does not export: {sorted(missing)}"


def test_haproxy_reports_each_entry_as_a_frontend_of_its_name(haproxy_metrics: str) -> None:
    """The availability objective groups HAProxy's frontends by `proxy`, the entry's name."""
    for entry in load_routing_table().entries:
        assert f'haproxy_frontend_http_responses_total{{proxy="{entry.name}",code="5xx"}}' in (
            haproxy_metrics
        )


def test_the_name_check_would_catch_a_name_haproxy_does_not_have(haproxy_metrics: str) -> None:
    assert "haproxy_frontend_http_responses_total" in exposed_names(haproxy_metrics)
    assert "haproxy_frontend_http_response_total" not in exposed_names(haproxy_metrics)


def test_the_availability_objective_leaves_out_the_frontend_serving_the_metrics() -> None:
    slo_rules = (RULES_DIR / "slo.yml").read_text(encoding="utf-8")

    assert slo_rules.count(f'proxy!="{STATS_FRONTEND}"') == 2
