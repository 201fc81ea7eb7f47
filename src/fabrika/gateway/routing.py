"""The routing table: which entry point sends which path prefix to which service. Pure."""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUTES_PATH = Path(__file__).with_name("routes.toml")


@dataclass(frozen=True)
class Entry:
    """A listener of the gateway with its own server pools."""

    name: str
    port: int
    description: str
    timeout_server_s: float


@dataclass(frozen=True)
class Route:
    entry: str
    prefix: str
    service: str

    @property
    def backend(self) -> str:
        """One backend per entry and service: shop and B2B never share a server queue."""
        return f"{self.entry}_{self.service}"


@dataclass(frozen=True)
class RoutingTable:
    entries: tuple[Entry, ...]
    routes: tuple[Route, ...]

    def routes_of(self, entry: str) -> list[Route]:
        """An entry's routes, longest prefix first, so the most specific one wins."""
        own = [route for route in self.routes if route.entry == entry]
        return sorted(own, key=lambda route: (-len(route.prefix), route.prefix))

    def backends(self) -> list[tuple[str, str]]:
        """The (entry, service) pairs that need a backend, in a stable order."""
        return sorted({(route.entry, route.service) for route in self.routes})

    def services(self) -> list[str]:
        return sorted({route.service for route in self.routes})


def parse_routing_table(document: Mapping[str, Any]) -> RoutingTable:
    """Build and check a table; errors name the offending route."""
    entries = tuple(
        Entry(
            name,
            int(spec["port"]),
            spec.get("description", ""),
            float(spec.get("timeout_server_s", 30)),
        )
        for name, spec in document.get("entries", {}).items()
    )
    names = {entry.name for entry in entries}
    routes = []
    seen: set[tuple[str, str]] = set()
    for spec in document.get("routes", []):
        route = Route(spec["entry"], spec["prefix"], spec["service"])
        if route.entry not in names:
            raise ValueError(f"route {route.prefix!r} names unknown entry {route.entry!r}")
        if not route.prefix.startswith("/"):
            raise ValueError(f"route prefix {route.prefix!r} must start with '/'")
        if (route.entry, route.prefix) in seen:
            raise ValueError(f"entry {route.entry!r} routes {route.prefix!r} twice")
        seen.add((route.entry, route.prefix))
        routes.append(route)
    return RoutingTable(entries, tuple(routes))


def load_routing_table(path: Path = ROUTES_PATH) -> RoutingTable:
    return parse_routing_table(tomllib.loads(path.read_text(encoding="utf-8")))
