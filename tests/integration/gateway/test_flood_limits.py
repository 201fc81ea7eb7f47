"""The gateway's own first line against floods (stick tables on the B2B entry): one
address, or one API key, far beyond any plan is answered 429 before a service sees it."""

import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from fabrika.gateway.haproxy import Server, render_haproxy_config
from fabrika.gateway.routing import parse_routing_table
from fabrika.platform.up import haproxy_binary
from tests.ports import free_port

SOURCE_LIMIT, KEY_LIMIT = 40, 15
TABLE = {
    "entries": {
        "b2b": {
            "port": 1,
            "source_requests_per_10s": SOURCE_LIMIT,
            "key_requests_per_10s": KEY_LIMIT,
        }
    },
    "services": {"b2b": {"label": "partner order"}},
    "routes": [{"entry": "b2b", "prefix": "/v1/", "service": "b2b"}],
}


class Partners(BaseHTTPRequestHandler):
    """Stands in for the B2B service: answers 200 and counts what reached it."""

    protocol_version = "HTTP/1.1"
    reached = 0

    def do_GET(self) -> None:
        if self.path != "/readyz":
            Partners.reached += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[str]:
    backend = ThreadingHTTPServer(("127.0.0.1", free_port()), Partners)
    threading.Thread(target=backend.serve_forever, daemon=True).start()
    port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(
        render_haproxy_config(
            parse_routing_table(TABLE),
            ports={"b2b": port},
            stats_port=free_port(),
            servers={"b2b": [Server("b2b-0", "127.0.0.1", backend.server_address[1])]},
            runtime_socket=tmp_path / "haproxy.sock",
        )
    )
    process = subprocess.Popen(
        [haproxy_binary(), "-W", "-db", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_routed(url, process)
        Partners.reached = 0
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        backend.shutdown()
        backend.server_close()


def _wait_until_routed(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, "haproxy exited"
        try:
            if httpx.get(f"{url}/v1/ping", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the gateway never routed to the stand-in")


def test_a_flood_with_one_key_is_cut_at_the_gateway_and_other_keys_go_on(gateway: str) -> None:
    with httpx.Client(base_url=gateway) as http:
        flood = [
            http.get("/v1/orders", headers={"Authorization": "Bearer fab_flood"}).status_code
            for _ in range(KEY_LIMIT + 5)
        ]
        other = http.get("/v1/orders", headers={"Authorization": "Bearer fab_calm"})

    assert flood.count(200) == KEY_LIMIT and flood[-1] == 429
    assert other.status_code == 200


def test_a_flood_from_one_address_is_answered_429_problem_json_with_retry_after(
    gateway: str,
) -> None:
    with httpx.Client(base_url=gateway) as http:
        answers = [http.get("/v1/orders") for _ in range(SOURCE_LIMIT + 5)]

    codes = [a.status_code for a in answers]
    refused = [a for a in answers if a.status_code == 429]
    # The readiness pings before the test count too: what got through is the limit less them.
    passed = codes.count(200)
    assert SOURCE_LIMIT - 5 <= passed < SOURCE_LIMIT and codes == [200] * passed + [429] * len(
        refused
    )
    assert Partners.reached == passed
    assert refused[0].headers["content-type"] == "application/problem+json"
    assert refused[0].headers["retry-after"] == "10"
    assert refused[0].json()["status"] == 429
