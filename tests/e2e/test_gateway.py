"""What the running gateway promises: request ids, metrics, loopback-only listeners."""

import subprocess

import httpx
import pytest

from fabrika.platform.topology import plan_instances

pytestmark = pytest.mark.e2e


def test_a_request_id_is_generated_and_a_given_one_is_kept(platform) -> None:
    with httpx.Client(timeout=30) as http:
        generated = http.get(f"{platform.shop}/api/v1/catalog")
        kept = http.get(f"{platform.shop}/api/v1/catalog", headers={"X-Request-ID": "abc-123"})
    assert len(generated.headers["x-request-id"]) >= 16
    assert kept.headers["x-request-id"] == "abc-123"


def test_the_request_id_reaches_the_service_logs(platform) -> None:
    with httpx.Client(timeout=30) as http:
        http.get(f"{platform.shop}/api/v1/catalog", headers={"X-Request-ID": "trace-me-42"})
    gateway_log = (platform.run_dir / "logs" / "gateway.log").read_text()
    assert "trace-me-42" in gateway_log


def test_haproxy_metrics_are_served_on_the_stats_port(platform) -> None:
    with httpx.Client(timeout=30) as http:
        metrics = http.get(f"{platform.stats}/metrics")
    assert metrics.status_code == 200
    assert "haproxy_frontend_http_requests_total" in metrics.text


def test_every_service_answers_health_and_metrics_through_its_own_port(platform) -> None:
    base = int(platform.env["FABRIKA_SERVICE_PORT_BASE"])
    with httpx.Client(timeout=30) as http:
        for port in [i.port for i in plan_instances({}, base)]:
            assert http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
            assert "fabrika_http_requests" in http.get(f"http://127.0.0.1:{port}/metrics").text


def test_nothing_the_platform_started_listens_beyond_loopback(platform) -> None:
    ports = {
        int(v) for k, v in platform.env.items() if k.startswith("FABRIKA_") and k.endswith("_PORT")
    }
    base = int(platform.env["FABRIKA_SERVICE_PORT_BASE"])
    ports |= {i.port for i in plan_instances({}, base)}
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True)
    ours = [
        line.split()[3]
        for line in listening.stdout.splitlines()
        if int(line.split()[3].rsplit(":", 1)[1]) in ports
    ]
    assert ours, "expected the platform's listeners in `ss` output"
    assert all(address.startswith("127.0.0.1:") for address in ours), ours
