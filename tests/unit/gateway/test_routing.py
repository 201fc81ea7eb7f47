import re
from typing import Any

import pytest

from fabrika.gateway.routing import load_routing_table, parse_routing_table


def document(*routes: tuple[str, str, str], **entry_overrides: Any) -> dict[str, Any]:
    """A routing file with shop and b2b entries and the given (entry, prefix, service)."""
    return {
        "entries": {
            "shop": {"port": 8080, **entry_overrides},
            "b2b": {"port": 8081},
        },
        "services": {name: {"label": name} for name in ("shop", "mes", "b2b", "orders")},
        "routes": [{"entry": e, "prefix": p, "service": s} for e, p, s in routes],
    }


def test_the_longest_prefix_wins_whatever_the_file_order() -> None:
    table = parse_routing_table(
        document(("shop", "/api/", "shop"), ("shop", "/api/v1/catalog", "mes"))
    )

    assert table.route_for("shop", "/api/v1/catalog/7").service == "mes"
    assert table.route_for("shop", "/api/v1/orders").service == "shop"
    assert [r.prefix for r in table.routes_of("shop")] == ["/api/v1/catalog", "/api/"]


def test_a_prefix_matches_whole_path_segments_only() -> None:
    table = parse_routing_table(document(("shop", "/api/v1/orders", "shop")))

    assert table.route_for("shop", "/api/v1/orders") is not None
    assert table.route_for("shop", "/api/v1/orders/42") is not None
    assert table.route_for("shop", "/api/v1/ordersx") is None


def test_a_trailing_slash_on_a_prefix_changes_nothing() -> None:
    table = parse_routing_table(document(("b2b", "/v1/", "b2b")))

    assert table.route_for("b2b", "/v1").prefix == "/v1/"
    assert table.route_for("b2b", "/v1/orders").prefix == "/v1/"


def test_the_catch_all_takes_only_what_nothing_longer_matches() -> None:
    table = parse_routing_table(document(("shop", "/", "shop"), ("shop", "/api/v1/models", "mes")))

    assert table.route_for("shop", "/api/v1/models/3").service == "mes"
    assert table.route_for("shop", "/anything").service == "shop"
    assert table.route_for("b2b", "/anything") is None


def test_each_entry_gets_its_own_backend_for_a_shared_service() -> None:
    table = parse_routing_table(
        document(
            ("shop", "/api/v1/orders", "orders"),
            ("shop", "/api/v1/order-drafts", "orders"),
            ("b2b", "/v1/orders", "orders"),
        )
    )

    assert table.backends() == [("b2b", "orders"), ("shop", "orders")]
    assert {r.backend for r in table.routes} == {"b2b_orders", "shop_orders"}


def test_a_route_to_an_unknown_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown entry 'partners'"):
        parse_routing_table(document(("partners", "/", "b2b")))


def test_a_route_to_an_undeclared_service_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown service 'billing'.*\[services.billing\]"):
        parse_routing_table(document(("shop", "/bills", "billing")))


def test_one_prefix_routed_twice_on_an_entry_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'shop' routes '/api/' twice \(to 'shop' and to 'mes'\)"):
        parse_routing_table(document(("shop", "/api", "shop"), ("shop", "/api/", "mes")))


def test_one_prefix_may_be_routed_on_two_entries() -> None:
    table = parse_routing_table(document(("shop", "/v1/", "shop"), ("b2b", "/v1/", "b2b")))

    assert table.route_for("shop", "/v1/x").service == "shop"
    assert table.route_for("b2b", "/v1/x").service == "b2b"


@pytest.mark.parametrize("prefix", ["api", "/api v1", "/api'", "/api;x"])
def test_a_prefix_must_be_a_plain_path(prefix: str) -> None:
    with pytest.raises(ValueError, match="must start with '/'"):
        parse_routing_table(document(("shop", prefix, "shop")))


def test_a_misspelt_entry_setting_is_refused_rather_than_ignored() -> None:
    with pytest.raises(ValueError, match="entry 'shop': unknown key timeout_sever_s"):
        parse_routing_table(document(timeout_sever_s=5))


def test_an_entry_setting_must_be_a_positive_number() -> None:
    with pytest.raises(ValueError, match="entry 'shop': maxconn should be greater than 0, not 0"):
        parse_routing_table(document(maxconn=0))


def test_an_entry_without_a_port_is_refused() -> None:
    broken = document()
    del broken["entries"]["b2b"]["port"]

    with pytest.raises(ValueError, match="entry 'b2b' has no port"):
        parse_routing_table(broken)


def test_an_entry_takes_defaults_for_what_it_leaves_out() -> None:
    shop = parse_routing_table(document(timeout_server_s=90)).entries[0]

    assert (shop.port, shop.timeout_server_s, shop.timeout_client_s) == (8080, 90.0, 30.0)


def test_the_shipped_table_sends_customer_paths_to_their_services() -> None:
    shipped = load_routing_table()

    routed = {
        path: shipped.route_for("shop", path).service
        for path in ("/api/v1/catalog", "/api/v1/models/1", "/api/v1/orders/9", "/")
    }
    assert routed == {
        "/api/v1/catalog": "mes",
        "/api/v1/models/1": "mes",
        "/api/v1/orders/9": "shop",
        "/": "shop",
    }


def test_the_shipped_table_routes_partners_and_services_by_prefix() -> None:
    shipped = load_routing_table()

    assert shipped.route_for("b2b", "/v1/orders").service == "b2b"
    assert shipped.route_for("b2b", "/api/v1/catalog") is None
    assert shipped.route_for("ops", "/api/v1/mailbox").service == "notify"
    for service in ("crm", "mes", "notify"):
        assert shipped.route_for("internal", f"/{service}/v1/x").service == service


def test_the_shipped_table_keeps_shop_and_partner_traffic_apart() -> None:
    shipped = load_routing_table()

    shop_backends = {r.backend for r in shipped.routes_of("shop")}
    b2b_backends = {r.backend for r in shipped.routes_of("b2b")}
    assert shop_backends and b2b_backends and not shop_backends & b2b_backends


def test_operator_catalog_changes_are_routed_only_on_the_operators_entry() -> None:
    shipped = load_routing_table()

    admin = [r.entry for r in shipped.routes if r.prefix.startswith("/api/v1/admin")]
    assert admin == ["ops"]


def refusal(document: dict[str, Any]) -> str:
    """The message a broken routing file stops the gateway with."""
    with pytest.raises(ValueError) as caught:
        parse_routing_table(document)
    return str(caught.value)


def test_an_entry_name_the_gateway_cannot_use_is_refused_with_the_rule() -> None:
    broken = document()
    broken["entries"]["Shop"] = broken["entries"].pop("shop")

    assert refusal(broken) == "entry 'Shop': a name holds lower-case letters, digits and '-' only"


def test_a_service_name_the_gateway_cannot_use_is_refused_with_the_rule() -> None:
    broken = document()
    broken["services"]["Billing"] = {"label": "Billing"}

    assert refusal(broken) == (
        "service 'Billing': a name holds lower-case letters, digits and '-' only"
    )


def test_a_label_with_punctuation_the_messages_cannot_carry_is_refused() -> None:
    broken = document()
    broken["services"]["mes"] = {"label": "MES; quotes"}

    assert refusal(broken) == (
        "service 'mes': label 'MES; quotes' may hold only letters, digits and spaces"
    )


def test_a_service_is_told_about_by_its_label() -> None:
    named = document()
    named["services"]["mes"] = {"label": "Manufacturing (MES)"}

    assert parse_routing_table(named).service("mes").label == "Manufacturing (MES)"


def test_a_service_without_a_label_is_told_about_by_its_name() -> None:
    unlabelled = document()
    unlabelled["services"]["mes"] = {}

    assert parse_routing_table(unlabelled).service("mes").label == "mes"


def test_a_route_without_a_service_is_refused_naming_it_by_position() -> None:
    broken = document(("shop", "/", "shop"))
    broken["routes"].append({"entry": "shop", "prefix": "/api"})

    assert refusal(broken) == "route #2 has no service"


def test_a_route_s_bad_prefix_is_refused_naming_the_route_and_the_rule() -> None:
    broken = document(("shop", "/", "shop"), ("shop", "api", "mes"))

    assert refusal(broken) == (
        "route #2: prefix 'api' must start with '/' and hold only letters, digits and . _ ~ / -"
    )


def test_a_route_that_is_not_a_table_is_refused_naming_it_by_position() -> None:
    broken = document(("shop", "/", "shop"))
    broken["routes"].append("/api -> mes")

    assert re.fullmatch(
        r"route #2: +should be a valid dictionary or instance of Route, not '/api -> mes'",
        refusal(broken),
    )


def test_a_port_written_as_text_is_refused_rather_than_converted() -> None:
    assert refusal(document(port="8080")) == (
        "entry 'shop': port should be a valid integer, not '8080'"
    )


def test_a_misspelt_section_is_refused_rather_than_ignored() -> None:
    broken = {**document(), "route": []}

    assert refusal(broken) == "the routing file: unknown key route (misspelt?)"


def test_a_section_of_the_wrong_shape_is_refused_naming_it() -> None:
    broken = {**document(), "routes": {"shop": "/"}}

    assert refusal(broken) == "the routing file: routes should be a valid tuple, not {'shop': '/'}"
