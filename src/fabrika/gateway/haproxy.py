"""Rendering the routing table into HAProxy's configuration."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from fabrika.gateway.routing import RoutingTable

# One JSON object per request; values HAProxy cannot vouch for are JSON-escaped.
LOG_FORMAT = (
    '{"time":"%tr","request_id":"%[var(txn.request_id),json(utf8s)]","entry":"%f",'
    '"backend":"%b","server":"%s","method":"%HM","path":"%[capture.req.uri,json(utf8s)]",'
    '"status":%ST,"bytes":%B,"client":"%ci","tq_ms":%TR,"tw_ms":%Tw,"tc_ms":%Tc,'
    '"tr_ms":%Tr,"ta_ms":%Ta,"retries":%rc,"termination":"%tsc"}'
)
ERROR_PAGES = (
    (502, "A service answered badly; retry in a few seconds."),
    (503, "The service is unavailable right now; retry in a few seconds."),
    (504, "The service took too long to answer; retry later."),
)
TITLES = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass(frozen=True)
class Server:
    name: str
    host: str
    port: int


@cache
def _template() -> Template:
    loader = FileSystemLoader(Path(__file__).parent)
    env = Environment(loader=loader, undefined=StrictUndefined, keep_trailing_newline=True)
    return env.get_template("haproxy.cfg.j2")


def render_haproxy_config(
    table: RoutingTable,
    *,
    ports: Mapping[str, int],
    stats_port: int,
    servers: Mapping[str, Sequence[Server]],
    runtime_socket: Path,
    server_slots: int = 0,
    host: str = "127.0.0.1",
) -> str:
    """A complete haproxy.cfg: one frontend per entry, one backend per entry and service."""
    missing = [entry.name for entry in table.entries if entry.name not in ports]
    if missing:
        raise ValueError(f"no port given for entries: {', '.join(missing)}")
    return _template().render(
        table=table,
        entries=table.entries,
        ports=ports,
        stats_port=stats_port,
        servers=servers,
        runtime_socket=runtime_socket,
        server_slots=server_slots,
        host=host,
        timeouts={entry.name: entry.timeout_server_s for entry in table.entries},
        log_format=LOG_FORMAT,
        error_pages=ERROR_PAGES,
        titles=TITLES,
    )
