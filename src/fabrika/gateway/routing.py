"""The routing table: which entry point sends which path prefix to which service. Pure.

The table lives in routes.toml and is rendered to HAProxy (haproxy.py) and, for
deployment, to Kubernetes routes, so the matching rule here is Kubernetes' PathPrefix
rule: a prefix matches whole path segments, a trailing slash is ignored, and the
longest matching prefix wins.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUTES_PATH = Path(__file__).with_name("routes.toml")

# Names end up in HAProxy section and server names; prefixes inside its ACLs, unquoted.
NAME = re.compile(r"^[a-z][a-z0-9-]*$")
PREFIX = re.compile(r"^/[A-Za-z0-9._~/-]*$")
LABEL = re.compile(r"^[A-Za-z0-9 ,.()-]+$")

ENTRY_DEFAULTS: Mapping[str, Any] = {
    "description": "",
    "timeout_client_s": 30.0,
    "timeout_server_s": 30.0,
    "maxconn": 1000,
    "server_maxconn": 100,
}


@dataclass(frozen=True)
class Entry:
    """A listener of the gateway with its own limits and its own server pools."""

    name: str
    port: int
    description: str = ""
    timeout_client_s: float = 30.0
    timeout_server_s: float = 30.0
    maxconn: int = 1000
    server_maxconn: int = 100


@dataclass(frozen=True)
class Service:
    """A service that routes point at, and how people are told about it."""

    name: str
    label: str


@dataclass(frozen=True)
class Route:
    """Requests on `entry` whose path lies under `prefix` go to `service`."""

    entry: str
    prefix: str
    service: str

    @property
    def backend(self) -> str:
        """One backend per entry and service: shop and B2B never share a server queue."""
        return f"{self.entry}_{self.service}"

    @property
    def base(self) -> str:
        """The prefix without its trailing slash; "" for the catch-all "/"."""
        return self.prefix.rstrip("/")

    @property
    def is_catch_all(self) -> bool:
        """A "/" route: the entry's default, taken when nothing longer matches."""
        return self.base == ""

    def matches(self, path: str) -> bool:
        """Whether `path` lies under this prefix, segment by segment."""
        return self.is_catch_all or path == self.base or path.startswith(self.base + "/")


@dataclass(frozen=True)
class RoutingTable:
    """Every entry point, the services behind them, and the routes between."""

    entries: tuple[Entry, ...]
    services: tuple[Service, ...]
    routes: tuple[Route, ...]

    def routes_of(self, entry: str) -> list[Route]:
        """An entry's routes, longest prefix first, so the most specific one wins."""
        own = [route for route in self.routes if route.entry == entry]
        return sorted(own, key=lambda route: (-len(route.base), route.base))

    def route_for(self, entry: str, path: str) -> Route | None:
        """The route a request for `path` on `entry` takes; None means a 404."""
        return next((r for r in self.routes_of(entry) if r.matches(path)), None)

    def backends(self) -> list[tuple[str, str]]:
        """The (entry, service) pairs that need a backend, in a stable order."""
        return sorted({(route.entry, route.service) for route in self.routes})

    def service(self, name: str) -> Service:
        """The declared service called `name`; the parser guarantees routes name one."""
        return next(service for service in self.services if service.name == name)


def load_routing_table(path: Path = ROUTES_PATH) -> RoutingTable:
    """Read and check the routing file; a mistake in it stops the gateway from rendering."""
    return parse_routing_table(tomllib.loads(path.read_text(encoding="utf-8")))


def parse_routing_table(document: Mapping[str, Any]) -> RoutingTable:
    """Build a table from the routing file's data; errors say what to fix and where."""
    _refuse_unknown_keys("the routing file", document, {"entries", "services", "routes"})
    entries = tuple(_parse_entry(n, s) for n, s in document.get("entries", {}).items())
    services = tuple(_parse_service(n, s) for n, s in document.get("services", {}).items())
    routes = tuple(_parse_route(i, spec) for i, spec in enumerate(document.get("routes", [])))
    _check_references(entries, services, routes)
    _refuse_duplicate_prefixes(routes)
    return RoutingTable(entries, services, routes)


def _parse_entry(name: str, spec: Mapping[str, Any]) -> Entry:
    where = f"entry {name!r}"
    _check_name(where, name)
    _refuse_unknown_keys(where, spec, {"port", *ENTRY_DEFAULTS})
    values = {**ENTRY_DEFAULTS, **spec}
    if "port" not in spec:
        raise ValueError(f"{where} has no port")
    entry = Entry(
        name=name,
        port=_positive_int(where, "port", values["port"]),
        description=str(values["description"]),
        timeout_client_s=_positive_seconds(where, "timeout_client_s", values["timeout_client_s"]),
        timeout_server_s=_positive_seconds(where, "timeout_server_s", values["timeout_server_s"]),
        maxconn=_positive_int(where, "maxconn", values["maxconn"]),
        server_maxconn=_positive_int(where, "server_maxconn", values["server_maxconn"]),
    )
    if entry.port > 65535:
        raise ValueError(f"{where}: port {entry.port} is not a TCP port")
    return entry


def _parse_service(name: str, spec: Mapping[str, Any]) -> Service:
    where = f"service {name!r}"
    _check_name(where, name)
    _refuse_unknown_keys(where, spec, {"label"})
    label = str(spec.get("label", name))
    if not LABEL.match(label):
        raise ValueError(f"{where}: label {label!r} may hold only letters, digits and spaces")
    return Service(name, label)


def _parse_route(index: int, spec: Mapping[str, Any]) -> Route:
    where = f"route #{index + 1}"
    _refuse_unknown_keys(where, spec, {"entry", "prefix", "service"})
    missing = [key for key in ("entry", "prefix", "service") if key not in spec]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    route = Route(str(spec["entry"]), str(spec["prefix"]), str(spec["service"]))
    if not PREFIX.match(route.prefix):
        raise ValueError(
            f"{where}: prefix {route.prefix!r} must start with '/' and hold only "
            "letters, digits and . _ ~ / -"
        )
    return route


def _check_references(
    entries: tuple[Entry, ...], services: tuple[Service, ...], routes: tuple[Route, ...]
) -> None:
    entry_names = {entry.name for entry in entries}
    service_names = {service.name for service in services}
    for route in routes:
        if route.entry not in entry_names:
            raise ValueError(f"route {route.prefix!r} names unknown entry {route.entry!r}")
        if route.service not in service_names:
            raise ValueError(
                f"route {route.prefix!r} on {route.entry!r} names unknown service "
                f"{route.service!r}; declare it under [services.{route.service}]"
            )


def _refuse_duplicate_prefixes(routes: tuple[Route, ...]) -> None:
    """Two routes for one prefix on one entry would leave the winner to file order."""
    seen: dict[tuple[str, str], Route] = {}
    for route in routes:
        earlier = seen.setdefault((route.entry, route.base), route)
        if earlier is not route:
            raise ValueError(
                f"entry {route.entry!r} routes {route.prefix!r} twice "
                f"(to {earlier.service!r} and to {route.service!r})"
            )


def _check_name(where: str, name: str) -> None:
    if not NAME.match(name):
        raise ValueError(f"{where}: a name holds lower-case letters, digits and '-' only")


def _refuse_unknown_keys(where: str, spec: Mapping[str, Any], known: set[str]) -> None:
    """A misspelt key would otherwise be ignored and its default silently used."""
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}")


def _positive_int(where: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{where}: {key} must be a positive whole number, not {value!r}")
    return value


def _positive_seconds(where: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{where}: {key} must be a positive number of seconds, not {value!r}")
    return float(value)
