"""The configuration rendered from the shipped routes, checked and run by a real HAProxy.

A tiny HTTP server stands in for mes: it answers /readyz, echoes the headers it got,
answers 503 under /mes/v1/unavailable, and counts the requests it saw per method.
"""

import json
import re
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from fabrika.gateway.haproxy import Server, render_haproxy_config
from fabrika.gateway.routing import load_routing_table, parse_routing_table
from fabrika.gateway.runtime import server_states
from fabrika.platform.up import haproxy_binary
from tests.ports import free_port

ENTRIES = ("shop", "b2b", "ops", "internal")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")
STARTUP_TIMEOUT_S = 15
STOP_TIMEOUT_S = 10
# (method, path) → requests the fake received; each test asks for paths of its own.
SEEN: Counter[tuple[str, str]] = Counter()


class FakeMes(BaseHTTPRequestHandler):
    """Echoes what it received; fails on purpose under /mes/v1/unavailable."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer()

    def _answer(self) -> None:
        SEEN[(self.command, self.path)] += 1
        status = 503 if self.path.startswith("/mes/v1/unavailable") else 200
        body = json.dumps(
            {
                "request_id": self.headers.get("X-Request-ID"),
                "forwarded_for": self.headers.get_all("X-Forwarded-For"),
            }
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # health checks hang up as soon as they have their status line


@dataclass(frozen=True)
class Gateway:
    ports: dict[str, int]
    stats_port: int
    log: Path
    socket: Path

    def url(self, entry: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[entry]}{path}"


@pytest.fixture(scope="module")
def fake_mes_port() -> Iterator[int]:
    server = QuietServer(("127.0.0.1", free_port()), FakeMes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def gateway(fake_mes_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """HAProxy in the foreground, mes served by the fake and every other service by nobody."""
    run_dir = tmp_path_factory.mktemp("gateway")
    ports = {entry: free_port() for entry in ENTRIES}
    stats_port = free_port()
    config = run_dir / "haproxy.cfg"
    config.write_text(
        render_haproxy_config(
            load_routing_table(),
            ports=ports,
            stats_port=stats_port,
            servers={"mes": [Server("mes-0", "127.0.0.1", fake_mes_port)]},
            runtime_socket=run_dir / "haproxy.sock",
            server_slots=2,
        )
    )
    log = run_dir / "haproxy.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [haproxy_binary(), "-W", "-db", "-f", str(config)], stdout=out, stderr=out
        )
    gateway = Gateway(ports, stats_port, log, run_dir / "haproxy.sock")
    try:
        _wait_until_mes_is_routed(gateway, process)
        yield gateway
    finally:
        _stop(process)


def _wait_until_mes_is_routed(gateway: Gateway, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"haproxy exited with {process.returncode}:\n{gateway.log.read_text()}")
        try:
            if httpx.get(gateway.url("shop", "/api/v1/catalog"), timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"mes not routed after {STARTUP_TIMEOUT_S}s:\n{gateway.log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _wait_for(find: Callable[[], Any], timeout_s: float = 5) -> Any:
    deadline = time.monotonic() + timeout_s
    while (found := find()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _access_log_line(gateway: Gateway, request_id: str) -> dict[str, Any] | None:
    for line in gateway.log.read_text().splitlines():
        if line.startswith("{") and (record := json.loads(line))["request_id"] == request_id:
            return record
    return None


def test_the_config_rendered_from_the_shipped_routes_is_valid(tmp_path: Path) -> None:
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        render_haproxy_config(
            load_routing_table(),
            ports={entry: 20000 + i for i, entry in enumerate(ENTRIES)},
            stats_port=20404,
            servers={
                "mes": [Server("mes-0", "127.0.0.1", 9100), Server("mes-1", "127.0.0.1", 9101)],
                "shop": [Server("shop-0", "127.0.0.1", 9102)],
            },
            runtime_socket=tmp_path / "haproxy.sock",
            server_slots=3,
        )
    )

    check = subprocess.run(
        [haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True, timeout=30
    )

    assert check.returncode == 0, check.stdout + check.stderr


def test_every_entry_needs_a_port(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no port given for entries: ops, internal"):
        render_haproxy_config(
            load_routing_table(),
            ports={"shop": 20000, "b2b": 20001},
            stats_port=20404,
            servers={},
            runtime_socket=tmp_path / "haproxy.sock",
        )


def test_an_entry_may_not_take_the_metrics_frontend_name(tmp_path: Path) -> None:
    table = parse_routing_table({"entries": {"stats": {"port": 20000}}})

    with pytest.raises(ValueError, match="may not be called 'stats'"):
        render_haproxy_config(
            table,
            ports={"stats": 20000},
            stats_port=20404,
            servers={},
            runtime_socket=tmp_path / "haproxy.sock",
        )


def test_a_request_without_an_id_gets_a_new_one_the_service_also_sees(gateway: Gateway) -> None:
    response = httpx.get(gateway.url("shop", "/api/v1/catalog"))

    request_id = response.headers["x-request-id"]
    assert UUID.match(request_id)
    assert response.json()["request_id"] == request_id


def test_a_well_formed_request_id_is_kept_end_to_end(gateway: Gateway) -> None:
    response = httpx.get(
        gateway.url("shop", "/api/v1/catalog"), headers={"X-Request-ID": "order-42.a:b_c"}
    )

    assert response.headers["x-request-id"] == "order-42.a:b_c"
    assert response.json()["request_id"] == "order-42.a:b_c"


@pytest.mark.parametrize("bad_id", ["no spaces <allowed>", "x" * 129, "semi;colon"])
def test_a_malformed_request_id_is_replaced(gateway: Gateway, bad_id: str) -> None:
    response = httpx.get(gateway.url("shop", "/api/v1/catalog"), headers={"X-Request-ID": bad_id})

    assert UUID.match(response.headers["x-request-id"])
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_the_service_sees_the_real_client_address_not_a_claimed_one(gateway: Gateway) -> None:
    response = httpx.get(
        gateway.url("shop", "/api/v1/catalog"), headers={"X-Forwarded-For": "203.0.113.9"}
    )

    assert response.json()["forwarded_for"] == ["127.0.0.1"]


def test_an_unrouted_path_on_the_partner_entry_is_a_problem_404(gateway: Gateway) -> None:
    response = httpx.get(gateway.url("b2b", "/api/v1/catalog"))

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No route for this path on the b2b entry point."
    assert UUID.match(response.headers["x-request-id"])


def test_a_prefix_does_not_match_a_longer_path_segment(gateway: Gateway) -> None:
    response = httpx.get(gateway.url("b2b", "/v1x/orders"))

    assert response.status_code == 404


def test_a_service_without_servers_is_a_problem_503_that_names_it(gateway: Gateway) -> None:
    response = httpx.post(
        gateway.url("shop", "/api/v1/orders"), json={}, headers={"X-Request-ID": "no-shop-1"}
    )

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "no-shop-1"
    assert response.json()["detail"] == (
        "The order service is unavailable right now; retry in a few seconds."
    )


def test_a_failed_get_is_retried(gateway: Gateway) -> None:
    path = f"/mes/v1/unavailable/{uuid.uuid4()}"  # counted for this test alone
    response = httpx.get(gateway.url("internal", path))

    assert response.status_code == 503
    assert SEEN[("GET", path)] == 3


def test_a_failed_post_is_never_sent_twice(gateway: Gateway) -> None:
    path = f"/mes/v1/unavailable/{uuid.uuid4()}"  # counted for this test alone
    response = httpx.post(gateway.url("internal", path), json={})

    assert response.status_code == 503
    assert SEEN[("POST", path)] == 1


def test_the_stats_port_serves_prometheus_metrics(gateway: Gateway) -> None:
    response = httpx.get(f"http://127.0.0.1:{gateway.stats_port}/metrics")

    assert response.status_code == 200
    assert 'haproxy_backend_active_servers{proxy="shop_mes"} 1' in response.text
    assert "haproxy_frontend_http_requests_total" in response.text


def test_each_request_is_logged_as_one_json_object(gateway: Gateway) -> None:
    httpx.get(gateway.url("shop", "/api/v1/catalog?q=1"), headers={"X-Request-ID": "log-me-7"})

    record = _wait_for(lambda: _access_log_line(gateway, "log-me-7"))

    assert record is not None, gateway.log.read_text()
    assert record["entry"] == "shop"
    assert (record["backend"], record["server"]) == ("shop_mes", "mes-0")
    assert (record["method"], record["path"], record["status"]) == ("GET", "/api/v1/catalog", 200)
    assert {"time", "bytes", "client", "tq_ms", "tw_ms", "tc_ms", "tr_ms", "ta_ms"} <= set(record)
    assert record["termination"] == "----"


async def test_the_runtime_api_reports_server_states(gateway: Gateway) -> None:
    states = {(s.backend, s.server): s for s in await server_states(gateway.socket)}
    assert states[("shop_mes", "mes-0")].up
    assert states[("shop_mes", "mes-slot0")].status == "MAINT"
