from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from fabrika import cli
from fabrika.gateway.kubernetes import MAX_MATCHES, SERVICE_PORT, duration, render_gateway_api
from fabrika.gateway.routing import RoutingTable, load_routing_table, parse_routing_table

COMMITTED = Path(__file__).parents[3] / "deploy" / "kubernetes" / "gateway.yaml"
SERVICES = ("shop", "mes", "b2b", "orders", "crm")


def document(*routes: tuple[str, str, str], **shop_overrides: Any) -> dict[str, Any]:
    """A routing file with shop and b2b entries and the given (entry, prefix, service)."""
    return {
        "entries": {
            "shop": {"port": 8080, "description": "Customers", **shop_overrides},
            "b2b": {"port": 8081},
        },
        "services": {name: {"label": name} for name in SERVICES},
        "routes": [{"entry": e, "prefix": p, "service": s} for e, p, s in routes],
    }


def rendered(table: RoutingTable) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(render_gateway_api(table)))


def routes_of(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The HTTPRoutes by the listener they attach to."""
    return {
        o["spec"]["parentRefs"][0]["sectionName"]: o for o in objects if o["kind"] == "HTTPRoute"
    }


def prefix_matches(objects: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(listener, prefix, backend) for every PathPrefix match of every HTTPRoute."""
    return {
        (listener, match["path"]["value"], backend["name"])
        for listener, route in routes_of(objects).items()
        for rule in route["spec"]["rules"]
        for match in rule["matches"]
        for backend in rule["backendRefs"]
        if match["path"]["type"] == "PathPrefix"
    }


def gateway_api_choice(objects: list[dict[str, Any]], listener: str, path: str) -> str | None:
    """The backend Gateway API's precedence picks: among the PathPrefix matches that match
    `path` segment by segment, the one with the most characters."""

    def matches(prefix: str) -> bool:
        base = prefix.rstrip("/")
        return base == "" or path == base or path.startswith(base + "/")

    candidates = [
        (len(prefix), service)
        for entry, prefix, service in prefix_matches(objects)
        if entry == listener and matches(prefix)
    ]
    return max(candidates)[1] if candidates else None


def test_the_committed_manifest_is_the_rendering_of_the_routing_file() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render_gateway_api(load_routing_table()), (
        "deploy/kubernetes/gateway.yaml is stale: "
        "run `fabrika kube-routes -o deploy/kubernetes/gateway.yaml`"
    )


def test_the_command_writes_the_rendering(tmp_path: Path) -> None:
    output = tmp_path / "gateway.yaml"

    cli.main(["kube-routes", "--output", str(output)])

    assert output.read_text(encoding="utf-8") == render_gateway_api(load_routing_table())


def test_each_entry_becomes_a_listener_on_its_port() -> None:
    table = load_routing_table()

    (gateway,) = [o for o in rendered(table) if o["kind"] == "Gateway"]
    listeners = {(item["name"], item["port"]) for item in gateway["spec"]["listeners"]}
    assert listeners == {(entry.name, entry.port) for entry in table.entries}


def test_each_route_becomes_a_path_prefix_on_its_entry_to_its_service() -> None:
    table = load_routing_table()

    expected = {(r.entry, r.base or "/", r.service) for r in table.routes}
    assert prefix_matches(rendered(table)) == expected


def test_backends_are_the_services_on_their_service_port() -> None:
    for route in routes_of(rendered(load_routing_table())).values():
        for rule in route["spec"]["rules"]:
            assert [b["port"] for b in rule["backendRefs"]] == [SERVICE_PORT]


def test_a_trailing_slash_is_dropped_and_the_catch_all_stays_a_slash() -> None:
    table = parse_routing_table(document(("shop", "/", "shop"), ("b2b", "/v1/", "b2b")))

    assert prefix_matches(rendered(table)) == {("shop", "/", "shop"), ("b2b", "/v1", "b2b")}


def test_an_entry_without_routes_gets_no_http_route_and_so_answers_404() -> None:
    table = parse_routing_table(document(("shop", "/api", "shop")))

    assert set(routes_of(rendered(table))) == {"shop"}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/api/v1/catalog",
        "/api/v1/catalog/7",
        "/api/v1/catalogs",
        "/api/v1/orders/1/confirm",
        "/api/v1/ops/orders",
        "/api/v1/admin/catalog",
        "/v1",
        "/v1/orders",
        "/crm/x",
        "/mesa",
        "/notify/v1/messages",
        "/api",
    ],
)
def test_the_shipped_routes_pick_the_same_service_in_both_gateways(path: str) -> None:
    table = load_routing_table()
    objects = rendered(table)

    for entry in table.entries:
        chosen = table.route_for(entry.name, path)
        expected = chosen.service if chosen else None
        assert gateway_api_choice(objects, entry.name, path) == expected, (entry.name, path)


SEGMENTS = st.sampled_from(["api", "v1", "v1x", "orders", "catalog", "models", "a", "b"])
PATHS = st.lists(SEGMENTS, max_size=4).map(lambda parts: "/" + "/".join(parts))


@given(
    prefixes=st.lists(PATHS, min_size=1, max_size=6, unique_by=lambda p: p.rstrip("/")),
    services=st.lists(st.sampled_from(SERVICES), min_size=6, max_size=6),
    path=PATHS,
)
def test_gateway_api_precedence_agrees_with_the_longest_prefix_rule(
    prefixes: list[str], services: list[str], path: str
) -> None:
    table = parse_routing_table(
        document(*[("shop", p, s) for p, s in zip(prefixes, services, strict=False)])
    )

    chosen = table.route_for("shop", path)
    assert gateway_api_choice(rendered(table), "shop", path) == (chosen.service if chosen else None)


def test_a_service_s_prefixes_share_one_rule_of_at_most_eight_matches() -> None:
    prefixes = [f"/p{i}" for i in range(MAX_MATCHES + 2)]
    table = parse_routing_table(
        document(("shop", "/", "shop"), *[("shop", p, "mes") for p in prefixes])
    )

    rules = routes_of(rendered(table))["shop"]["spec"]["rules"]
    sizes = sorted((r["backendRefs"][0]["name"], len(r["matches"])) for r in rules)
    assert sizes == [("mes", 2), ("mes", MAX_MATCHES), ("shop", 1)]


def test_an_entry_needing_more_rules_than_gateway_api_allows_is_refused() -> None:
    services = [f"s{i}" for i in range(17)]
    table = parse_routing_table(
        {
            **document(),
            "services": {name: {"label": name} for name in services},
            "routes": [{"entry": "shop", "prefix": f"/{s}", "service": s} for s in services],
        }
    )

    with pytest.raises(ValueError, match="17 HTTPRoute rules; Gateway API allows 16"):
        render_gateway_api(table)


@pytest.mark.parametrize("prefix", ["/api//v1", "/api/./v1", "/api/../admin", "/api/."])
def test_a_prefix_gateway_api_would_refuse_is_refused(prefix: str) -> None:
    table = parse_routing_table(document(("shop", prefix, "shop")))

    with pytest.raises(ValueError, match="not a normalised path"):
        render_gateway_api(table)


def test_a_route_s_timeout_is_its_entry_s_server_timeout() -> None:
    table = parse_routing_table(document(("shop", "/", "shop"), timeout_server_s=2.5))

    (rule,) = routes_of(rendered(table))["shop"]["spec"]["rules"]
    assert rule["timeouts"] == {"request": "2500ms"}


@pytest.mark.parametrize(("seconds", "text"), [(30, "30s"), (90.0, "90s"), (0.25, "250ms")])
def test_durations_are_written_as_gateway_api_reads_them(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_a_duration_too_long_for_gateway_api_is_refused() -> None:
    with pytest.raises(ValueError, match="five digits"):
        duration(100_000)


def test_an_entry_name_that_cannot_name_a_listener_is_refused() -> None:
    broken = document(("shop", "/", "shop"))
    broken["entries"]["shop-"] = broken["entries"].pop("b2b")

    with pytest.raises(ValueError, match="cannot name a listener"):
        render_gateway_api(parse_routing_table(broken))


def test_two_entries_on_one_port_are_refused() -> None:
    table = parse_routing_table(document(("shop", "/", "shop"), port=8081))

    with pytest.raises(ValueError, match="share port 8081"):
        render_gateway_api(table)


def test_an_entry_s_description_travels_as_an_annotation() -> None:
    table = parse_routing_table(document(("shop", "/", "shop"), ("b2b", "/v1", "b2b")))

    routes = routes_of(rendered(table))
    assert routes["shop"]["metadata"]["annotations"] == {"fabrika.dev/description": "Customers"}
    assert "annotations" not in routes["b2b"]["metadata"]
