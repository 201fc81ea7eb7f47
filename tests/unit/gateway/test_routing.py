import pytest

from fabrika.gateway.routing import load_routing_table, parse_routing_table


def table(routes: list[dict]) -> dict:
    return {"entries": {"shop": {"port": 8080}, "b2b": {"port": 8081}}, "routes": routes}


def test_the_longest_prefix_is_tried_first_whatever_the_file_order() -> None:
    routes = parse_routing_table(
        table(
            [
                {"entry": "shop", "prefix": "/api/", "service": "shop"},
                {"entry": "shop", "prefix": "/api/v1/catalog", "service": "mes"},
            ]
        )
    ).routes_of("shop")
    assert [r.prefix for r in routes] == ["/api/v1/catalog", "/api/"]


def test_each_entry_gets_its_own_backend_for_a_shared_service() -> None:
    parsed = parse_routing_table(
        table(
            [
                {"entry": "shop", "prefix": "/api/v1/orders", "service": "orders"},
                {"entry": "b2b", "prefix": "/v1/orders", "service": "orders"},
            ]
        )
    )
    assert parsed.backends() == [("b2b", "orders"), ("shop", "orders")]


def test_a_route_to_an_unknown_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown entry 'partners'"):
        parse_routing_table(table([{"entry": "partners", "prefix": "/", "service": "b2b"}]))


def test_one_prefix_routed_twice_on_an_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_routing_table(
            table(
                [
                    {"entry": "shop", "prefix": "/api/", "service": "shop"},
                    {"entry": "shop", "prefix": "/api/", "service": "mes"},
                ]
            )
        )


def test_a_prefix_must_be_a_path() -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        parse_routing_table(table([{"entry": "shop", "prefix": "api", "service": "shop"}]))


def test_the_shipped_table_keeps_shop_and_partner_traffic_apart() -> None:
    shipped = load_routing_table()
    shop_backends = {r.backend for r in shipped.routes_of("shop")}
    b2b_backends = {r.backend for r in shipped.routes_of("b2b")}
    assert shop_backends and b2b_backends and not shop_backends & b2b_backends


def test_operator_catalog_changes_are_routed_only_on_the_operators_entry() -> None:
    shipped = load_routing_table()
    admin = [r.entry for r in shipped.routes if r.prefix.startswith("/api/v1/admin")]
    assert admin == ["ops"]
