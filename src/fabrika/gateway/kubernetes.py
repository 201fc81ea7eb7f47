"""Rendering the routing table into Kubernetes Gateway API objects. Pure.

One Gateway with a listener per entry, and one HTTPRoute per entry whose rules send the
entry's path prefixes to the services' Kubernetes Services. The same routes.toml renders
HAProxy's configuration (haproxy.py), so both gateways route every path alike.

Routing agrees with `RoutingTable.route_for`: Gateway API's PathPrefix matches whole path
segments and ignores a trailing slash, as routes.toml's prefixes do, and among the matches
of a listener's routes the prefix with the most characters wins. Gateway API breaks ties
by route age, then name, then rule order; routes.toml's rule "the longest prefix wins,
whatever the order" needs no tie-break, and none arises here: two different prefixes that
both match a path are nested, so the longer one is longer in characters too, and the
routing file refuses one prefix routed twice on an entry.

What HAProxy's configuration has and Gateway API does not express portably stays with the
local gateway: client timeouts, connection limits per entry and per instance, a pool of
servers per entry (here every entry reaches the same Service), X-Request-ID generation
(the services make one when it is missing) and problem+json error pages.
"""

import re
from collections.abc import Iterable, Sequence

import yaml
from pydantic import JsonValue

from fabrika.contracts import JsonObject
from fabrika.gateway.routing import Entry, Route, RoutingTable

GATEWAY_API = "gateway.networking.k8s.io/v1"
GATEWAY_NAME = "gateway"
GATEWAY_CLASS = "fabrika"  # created by whoever installs the Gateway implementation
SERVICE_PORT = 80  # every service's Kubernetes Service listens here (deploy/kubernetes)
PART_OF = {"app.kubernetes.io/part-of": "fabrika"}
HEADER = (
    "# Rendered from src/fabrika/gateway/routes.toml by `fabrika kube-routes`.\n"
    "# Do not edit: change the routing file and render again.\n"
)

# Limits of the Gateway API CRDs (the older, smaller ones, so any v1 release accepts us).
MAX_RULES = 16
MAX_MATCHES = 8
MAX_LISTENERS = 64
SECTION_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Path values Gateway API's validation refuses (it wants normalised paths).
FORBIDDEN_IN_PATH = ("//", "/./", "/../", "%2f", "%2F", "#")
FORBIDDEN_PATH_ENDINGS = ("/..", "/.")
# GEP-2257 durations: numbers of at most five digits ("30s", "1500ms").
DURATION_MAX = 99_999


def render_gateway_api(
    table: RoutingTable, *, gateway: str = GATEWAY_NAME, gateway_class: str = GATEWAY_CLASS
) -> str:
    """The Gateway and its HTTPRoutes as one YAML stream, ready for `kubectl apply`."""
    documents = [gateway_of(table, gateway=gateway, gateway_class=gateway_class)]
    # An entry without routes gets no HTTPRoute: a listener with nothing attached answers
    # 404, as HAProxy does, where an HTTPRoute without rules would match every path.
    documents += [
        http_route_of(table, entry, gateway=gateway)
        for entry in table.entries
        if table.routes_of(entry.name)
    ]
    return HEADER + yaml.safe_dump_all(documents, sort_keys=False, width=100)


def gateway_of(table: RoutingTable, *, gateway: str, gateway_class: str) -> JsonObject:
    """One listener per entry, on the entry's port, taking routes from this namespace only."""
    if not 1 <= len(table.entries) <= MAX_LISTENERS:
        raise ValueError(f"a Gateway has 1 to {MAX_LISTENERS} listeners, not {len(table.entries)}")
    _refuse_shared_ports(table.entries)
    return {
        "apiVersion": GATEWAY_API,
        "kind": "Gateway",
        "metadata": {"name": gateway, "labels": dict(PART_OF)},
        "spec": {
            "gatewayClassName": gateway_class,
            "listeners": [listener_of(entry) for entry in table.entries],
        },
    }


def listener_of(entry: Entry) -> JsonObject:
    """An entry's HTTP listener; its name is what the entry's HTTPRoute attaches to."""
    if not SECTION_NAME.match(entry.name):
        raise ValueError(
            f"entry {entry.name!r} cannot name a listener: use lower-case letters, digits "
            "and '-', starting and ending with a letter or digit"
        )
    return {
        "name": entry.name,
        "protocol": "HTTP",
        "port": entry.port,
        "allowedRoutes": {"namespaces": {"from": "Same"}},
    }


def http_route_of(table: RoutingTable, entry: Entry, *, gateway: str) -> JsonObject:
    """The entry's routes, one rule per service, attached to the entry's listener only."""
    rules: list[JsonValue] = [
        {
            "matches": [path_match(route) for route in group],
            "backendRefs": [{"name": group[0].service, "port": SERVICE_PORT}],
            "timeouts": {"request": duration(entry.timeout_server_s)},
        }
        for group in rule_groups(table.routes_of(entry.name))
    ]
    if len(rules) > MAX_RULES:
        raise ValueError(
            f"entry {entry.name!r} needs {len(rules)} HTTPRoute rules; Gateway API allows "
            f"{MAX_RULES}. Route fewer prefixes to more services, or split the entry"
        )
    metadata: JsonObject = {
        "name": entry.name,
        "labels": {**PART_OF, "fabrika.dev/entry": entry.name},
    }
    if entry.description:
        metadata["annotations"] = {"fabrika.dev/description": entry.description}
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": metadata,
        "spec": {
            "parentRefs": [{"name": gateway, "sectionName": entry.name}],
            "rules": rules,
        },
    }


def rule_groups(routes: Sequence[Route]) -> list[list[Route]]:
    """Routes grouped by service in the order they come (longest prefix first), each group
    at most MAX_MATCHES long. The order is for readers: Gateway API ranks matches, not rules."""
    by_service: dict[str, list[Route]] = {}
    for route in routes:
        by_service.setdefault(route.service, []).append(route)
    return [
        group[start : start + MAX_MATCHES]
        for group in by_service.values()
        for start in range(0, len(group), MAX_MATCHES)
    ]


def path_match(route: Route) -> JsonObject:
    """PathPrefix on the prefix without its trailing slash (the catch-all stays "/")."""
    value = route.base or "/"
    if any(bad in value for bad in FORBIDDEN_IN_PATH) or value.endswith(FORBIDDEN_PATH_ENDINGS):
        raise ValueError(
            f"prefix {route.prefix!r} on {route.entry!r} is not a normalised path, which "
            "Gateway API requires: no '//', '/./', '/../', '%2f' or '#', no '/.' at the end"
        )
    return {"path": {"type": "PathPrefix", "value": value}}


def duration(seconds: float) -> str:
    """A Gateway API duration: whole seconds when exact, milliseconds otherwise."""
    whole = float(seconds).is_integer()
    number, unit = (int(seconds), "s") if whole else (round(seconds * 1000), "ms")
    if number > DURATION_MAX:
        raise ValueError(f"{seconds} s does not fit a Gateway API duration of five digits")
    return f"{number}{unit}"


def _refuse_shared_ports(entries: Iterable[Entry]) -> None:
    """Two HTTP listeners on one port and no hostnames would conflict on the Gateway."""
    seen: dict[int, str] = {}
    for entry in entries:
        other = seen.setdefault(entry.port, entry.name)
        if other != entry.name:
            raise ValueError(f"entries {other!r} and {entry.name!r} share port {entry.port}")
