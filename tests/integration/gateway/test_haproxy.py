"""The rendered configuration on a real HAProxy, in front of a tiny echo server."""

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from fabrika.gateway.haproxy import Server, render_haproxy_config
from fabrika.gateway.routing import load_routing_table
from fabrika.gateway.runtime import server_states
from fabrika.platform.up import haproxy_binary
from tests.ports import free_port


class Echo(BaseHTTPRequestHandler):
    """Answers /readyz, and echoes the request id it received on every other path."""

    def do_GET(self) -> None:
        body = json.dumps({"request_id": self.headers.get("X-Request-ID")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def echo_port():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def gateway(echo_port, tmp_path_factory):
    """HAProxy with mes served by the echo server and shop by nothing at all."""
    run_dir: Path = tmp_path_factory.mktemp("gateway")
    ports = {name: free_port() for name in ("shop", "b2b", "ops", "internal")}
    stats = free_port()
    socket = run_dir / "haproxy.sock"
    config = render_haproxy_config(
        load_routing_table(),
        ports=ports,
        stats_port=stats,
        servers={"mes": [Server("mes-0", "127.0.0.1", echo_port)]},
        runtime_socket=socket,
        server_slots=2,
    )
    path = run_dir / "haproxy.cfg"
    path.write_text(config)
    log = open(run_dir / "haproxy.log", "w")  # noqa: SIM115 (closed in teardown)
    process = subprocess.Popen(
        [haproxy_binary(), "-W", "-db", "-f", str(path)], stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{ports['shop']}/api/v1/catalog").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    yield {"ports": ports, "stats": stats, "socket": socket, "log": run_dir / "haproxy.log"}
    process.terminate()
    process.wait(timeout=10)
    log.close()


def shop(gateway, path: str) -> str:
    return f"http://127.0.0.1:{gateway['ports']['shop']}{path}"


def test_the_rendered_configuration_is_valid(tmp_path) -> None:
    config = render_haproxy_config(
        load_routing_table(),
        ports={"shop": 1, "b2b": 2, "ops": 3, "internal": 4},
        stats_port=5,
        servers={},
        runtime_socket=tmp_path / "s.sock",
        server_slots=3,
    )
    (tmp_path / "h.cfg").write_text(config)
    check = subprocess.run(
        [haproxy_binary(), "-c", "-f", str(tmp_path / "h.cfg")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_request_id_is_generated_and_passed_to_the_service(gateway) -> None:
    response = httpx.get(shop(gateway, "/api/v1/catalog"))
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 36 and response.json()["request_id"] == request_id


def test_a_valid_request_id_is_kept_and_a_bad_one_replaced(gateway) -> None:
    kept = httpx.get(shop(gateway, "/api/v1/catalog"), headers={"X-Request-ID": "order-42.a"})
    replaced = httpx.get(
        shop(gateway, "/api/v1/catalog"), headers={"X-Request-ID": "no spaces <allowed>"}
    )
    assert kept.headers["x-request-id"] == "order-42.a"
    assert replaced.headers["x-request-id"] != "no spaces <allowed>"
    assert replaced.json()["request_id"] == replaced.headers["x-request-id"]


def test_an_unrouted_path_is_a_problem_404(gateway) -> None:
    response = httpx.get(f"http://127.0.0.1:{gateway['ports']['b2b']}/api/v1/catalog")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404 and response.headers["x-request-id"]


def test_a_service_without_servers_is_a_problem_503(gateway) -> None:
    response = httpx.get(shop(gateway, "/api/v1/orders/x"))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry" in response.json()["detail"]


def test_prometheus_metrics_are_served_on_the_stats_port(gateway) -> None:
    metrics = httpx.get(f"http://127.0.0.1:{gateway['stats']}/metrics").text
    assert 'haproxy_backend_active_servers{proxy="shop_mes"} 1' in metrics


def test_access_logs_are_json_with_the_request_id(gateway) -> None:
    httpx.get(shop(gateway, "/api/v1/catalog"), headers={"X-Request-ID": "log-me-7"})
    time.sleep(0.3)
    lines = [
        json.loads(line) for line in gateway["log"].read_text().splitlines() if line.startswith("{")
    ]
    entry = next(line for line in lines if line["request_id"] == "log-me-7")
    assert (entry["entry"], entry["backend"], entry["status"]) == ("shop", "shop_mes", 200)


async def test_the_runtime_api_reports_server_states(gateway) -> None:
    states = {(s.backend, s.server): s for s in await server_states(gateway["socket"])}
    assert states[("shop_mes", "mes-0")].up
    assert states[("shop_mes", "mes-slot0")].status == "MAINT"
