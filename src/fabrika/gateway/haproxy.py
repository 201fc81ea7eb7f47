"""Rendering the routing table into HAProxy's configuration.

The decisions live here, in small functions; haproxy.cfg.j2 only lays them out.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from fabrika.gateway.routing import Entry, Route, RoutingTable

LISTEN_HOST = "127.0.0.1"  # the gateway is reached on loopback only, like every service
STATS_MAXCONN = 100
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
STATS_FRONTEND = "stats"
NO_ROUTE_BACKEND = "no-route"  # "-" keeps it apart from every "<entry>_<service>" name

# One JSON object per request. Values a client controls go through json(utf8s); the rest
# are names, numbers and flags HAProxy produces itself. "time" is when the line is written
# (HAProxy 2.6 has no fetch for the accept date), as in the services' logs; "retries" is a
# string because HAProxy prefixes it with "+" after a redispatch.
LOG_FORMAT = (
    '{"time":"%[date,utime(%Y-%m-%dT%H:%M:%SZ)]",'
    '"request_id":"%[var(txn.request_id),json(utf8s)]",'
    '"entry":"%f","backend":"%b","server":"%s",'
    '"method":"%HM","path":"%[var(txn.path),json(utf8s)]",'
    '"status":%ST,"bytes":%B,"client":"%ci",'
    '"tq_ms":%TR,"tw_ms":%Tw,"tc_ms":%Tc,"tr_ms":%Tr,"ta_ms":%Ta,'
    '"retries":"%rc","termination":"%tsc"}'
)

TITLES = {
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
GATEWAY_ERRORS = {
    400: "The request could not be read as HTTP; check its headers and body.",
    408: "The request took too long to arrive; send it again.",
    429: "Too many requests; slow down and retry later.",
    500: "The gateway failed on this request; retry in a few seconds.",
    502: "A service answered with something that is not a valid response; retry later.",
    503: "The service is unavailable right now; retry in a few seconds.",
    504: "The service took too long to answer; retry later.",
}
SERVICE_ERRORS = {
    502: "The {label} service answered badly; retry in a few seconds.",
    503: "The {label} service is unavailable right now; retry in a few seconds.",
    504: "The {label} service took too long to answer; retry later.",
}
NO_ROUTE_DETAIL = "No route for this path on the %[fe_name] entry point."
FLOOD_DETAIL = (
    "Far more requests than any plan allows came from you in the last 10 s; slow down "
    "and retry in 10 s."
)


@dataclass(frozen=True)
class Server:
    """One instance of a service, as HAProxy reaches it."""

    name: str
    host: str
    port: int
    # A disabled server waits for the runtime API to bring it in (scaling without reloads).
    disabled: bool = False


@dataclass(frozen=True)
class Frontend:
    """What the template needs to lay out one entry point."""

    entry: Entry
    port: int
    rules: tuple[tuple[str, str], ...]  # (backend, condition), most specific first
    default_backend: str


@dataclass(frozen=True)
class Backend:
    """What the template needs to lay out one entry's pool of one service."""

    name: str
    entry: Entry
    servers: tuple[Server, ...]
    slots: tuple[str, ...]
    errors: tuple[tuple[int, str], ...]  # (status, problem+json body)


def render_haproxy_config(
    table: RoutingTable,
    *,
    ports: Mapping[str, int],
    stats_port: int,
    servers: Mapping[str, Sequence[Server]],
    runtime_socket: Path,
    server_slots: int = 0,
) -> str:
    """A complete haproxy.cfg: one frontend per entry, one backend per entry and service.

    `server_slots` disabled placeholders per backend let the runtime API add instances
    later (`set server … addr`, then `enable server`) without reloading HAProxy.
    """
    missing = [entry.name for entry in table.entries if entry.name not in ports]
    if missing:
        raise ValueError(f"no port given for entries: {', '.join(missing)}")
    if any(entry.name == STATS_FRONTEND for entry in table.entries):
        raise ValueError(f"an entry may not be called {STATS_FRONTEND!r}: the metrics have it")
    if server_slots < 0:
        raise ValueError(f"server_slots must be 0 or more, not {server_slots}")
    return _template().render(
        host=LISTEN_HOST,
        global_maxconn=sum(entry.maxconn for entry in table.entries) + STATS_MAXCONN,
        stats_maxconn=STATS_MAXCONN,
        runtime_socket=runtime_socket,
        stats_frontend=STATS_FRONTEND,
        stats_port=stats_port,
        log_format=LOG_FORMAT,
        request_id_pattern=REQUEST_ID_PATTERN,
        gateway_errors=[(s, problem(s, detail)) for s, detail in GATEWAY_ERRORS.items()],
        no_route=NO_ROUTE_BACKEND,
        not_found=problem(404, NO_ROUTE_DETAIL),
        flood=problem(429, FLOOD_DETAIL),
        frontends=[frontend_of(table, entry, ports[entry.name]) for entry in table.entries],
        backends=[
            backend_of(table, entry_name, service, servers.get(service, ()), server_slots)
            for entry_name, service in table.backends()
        ],
        duration=duration,
    )


def frontend_of(table: RoutingTable, entry: Entry, port: int) -> Frontend:
    """An entry's routing rules: the catch-all becomes the default, or unrouted is a 404."""
    routes = table.routes_of(entry.name)
    catch_all = next((r.backend for r in routes if r.is_catch_all), NO_ROUTE_BACKEND)
    rules = tuple((r.backend, path_condition(r)) for r in routes if not r.is_catch_all)
    return Frontend(entry, port, rules, catch_all)


def backend_of(
    table: RoutingTable, entry_name: str, service: str, servers: Sequence[Server], slots: int
) -> Backend:
    """One entry's pool of one service, with errors that name the service."""
    label = table.service(service).label
    entry = next(e for e in table.entries if e.name == entry_name)
    return Backend(
        name=f"{entry_name}_{service}",
        entry=entry,
        servers=tuple(servers),
        slots=tuple(f"{service}-slot{i}" for i in range(slots)),
        errors=tuple(
            (status, problem(status, detail.format(label=label)))
            for status, detail in SERVICE_ERRORS.items()
        ),
    )


def path_condition(route: Route) -> str:
    """HAProxy's form of the segment-wise prefix match in `Route.matches`."""
    return f"{{ path {route.base} }} || {{ path_beg {route.base}/ }}"


def problem(status: int, detail: str) -> str:
    """An RFC 9457 body, safe inside the single quotes of an HAProxy argument."""
    body = {"type": "about:blank", "title": TITLES[status], "status": status, "detail": detail}
    # HAProxy's single quotes cannot be escaped; \u0027 is the same character to JSON.
    return json.dumps(body, separators=(",", ":")).replace("'", "\\u0027")


def duration(seconds: float) -> str:
    """HAProxy's time syntax: whole seconds when exact, milliseconds otherwise."""
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{round(seconds * 1000)}ms"


@cache
def _template() -> Template:
    loader = FileSystemLoader(Path(__file__).parent)
    env = Environment(loader=loader, undefined=StrictUndefined, keep_trailing_newline=True)
    return env.get_template("haproxy.cfg.j2")
