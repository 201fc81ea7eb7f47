"""The routing table: which entry point sends which path prefix to which service. Pure.

The table lives in routes.toml and is rendered to HAProxy (haproxy.py) and, for
deployment, to Kubernetes routes, so the matching rule here is Kubernetes' PathPrefix
rule: a prefix matches whole path segments, a trailing slash is ignored, and the
longest matching prefix wins.
"""

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

ROUTES_PATH = Path(__file__).with_name("routes.toml")

# Names end up in HAProxy section and server names; prefixes inside its ACLs, unquoted.
NAME = re.compile(r"^[a-z][a-z0-9-]*$")
PREFIX = re.compile(r"^/[A-Za-z0-9._~/-]*$")
LABEL = re.compile(r"^[A-Za-z0-9 ,.()-]+$")


def _name(name: str) -> str:
    if not NAME.match(name):
        raise ValueError("a name holds lower-case letters, digits and '-' only")
    return name


def _prefix(prefix: str) -> str:
    if not PREFIX.match(prefix):
        raise ValueError(
            f"prefix {prefix!r} must start with '/' and hold only letters, digits and . _ ~ / -"
        )
    return prefix


def _label(label: str) -> str:
    if not LABEL.match(label):
        raise ValueError(f"label {label!r} may hold only letters, digits and spaces")
    return label


Name = Annotated[str, AfterValidator(_name)]
# strict: a port or a limit written as 8080.0 or "8080" is a mistake, not a number.
PositiveInt = Annotated[int, Field(gt=0, strict=True)]
Seconds = Annotated[float, Field(gt=0)]


class _Spec(BaseModel):
    # A misspelt key would otherwise be ignored and its default silently used.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entry(_Spec):
    """A listener of the gateway with its own limits and its own server pools."""

    name: Name
    port: Annotated[PositiveInt, Field(le=65535)]
    description: str = ""
    timeout_client_s: Seconds = 30.0
    timeout_server_s: Seconds = 30.0
    maxconn: PositiveInt = 1000
    server_maxconn: PositiveInt = 100
    # The gateway's own first line against floods, before any service spends on them:
    # requests per 10 s from one client address, and with one Authorization header.
    source_requests_per_10s: PositiveInt | None = None
    key_requests_per_10s: PositiveInt | None = None


class Service(_Spec):
    """A service that routes point at, and how people are told about it (by its name when
    it has no label)."""

    name: Name
    label: Annotated[str, AfterValidator(_label)]

    @model_validator(mode="before")
    @classmethod
    def _labelled(cls, spec: Any) -> Any:
        if isinstance(spec, Mapping) and "label" not in spec:
            return {**spec, "label": spec.get("name")}
        return spec


class Route(_Spec):
    """Requests on `entry` whose path lies under `prefix` go to `service`."""

    entry: str
    prefix: Annotated[str, AfterValidator(_prefix)]
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


class RoutingTable(_Spec):
    """Every entry point, the services behind them, and the routes between."""

    entries: tuple[Entry, ...] = ()
    services: tuple[Service, ...] = ()
    routes: tuple[Route, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _named_sections(cls, document: Any) -> Any:
        """The file keys entries and services by name: `[entries.shop]`."""
        if not isinstance(document, Mapping):
            return document
        named = dict(document)
        for section in ("entries", "services"):
            specs = named.get(section, {})
            if isinstance(specs, Mapping):
                named[section] = [
                    {"name": name, **spec} if isinstance(spec, Mapping) else spec
                    for name, spec in specs.items()
                ]
        return named

    @model_validator(mode="after")
    def _consistent(self) -> "RoutingTable":
        _check_references(self.entries, self.services, self.routes)
        _refuse_duplicate_prefixes(self.routes)
        return self

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
    try:
        return RoutingTable.model_validate(document)
    except ValidationError as exc:
        raise ValueError(_explain(exc.errors()[0], document)) from exc


def _explain(error: ErrorDetails, document: Mapping[str, Any]) -> str:
    """One validation error as a sentence naming the entry, service or route it is in."""
    message = str(error.get("ctx", {}).get("error", "")) or error["msg"]
    if not error["loc"]:  # the checks across sections
        return message
    where, field = _where(error["loc"], document)
    if error["type"] == "missing":
        return f"{where} has no {field}"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key {field} (misspelt?)"
    if error["type"] == "value_error":
        return f"{where}: {message}"
    return f"{where}: {field} {message.removeprefix('Input ')}, not {error['input']!r}"


def _where(loc: tuple[int | str, ...], document: Mapping[str, Any]) -> tuple[str, str]:
    """("entry 'shop'", "maxconn") for a location in the routing file."""
    section, index, *rest = (*loc, None, None)
    field = str(rest[0]) if rest and rest[0] is not None else ""
    if section in ("entries", "services") and isinstance(index, int):
        names = list(document.get(str(section), {}))
        kind = "entry" if section == "entries" else "service"
        return f"{kind} {names[index]!r}", field
    if section == "routes" and isinstance(index, int):
        return f"route #{index + 1}", field
    return "the routing file", str(section or "")


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
