"""The autoscaler inside `fabrika up`, against real instances: it reads the requests in
flight from MES's own /metrics, adds an instance under load and removes it once the load
is gone and the stabilisation window has passed, and reports what it decided."""

import asyncio
import contextlib
import json
from pathlib import Path

import httpx
import pytest

from fabrika.core.db import create_engine
from fabrika.platform import autoscaling
from fabrika.platform.autoscaling import AutoscalerLoop

pytestmark = pytest.mark.usefixtures("database")
BOUND_S = 90  # every wait below is for a condition; this only stops a broken loop hanging

# One request in flight per instance is the target; MES may grow to two instances. A
# decision every second, and a window of two seconds before scaling in.
POLICIES = """
interval_s = 1

[services.mes]
metric = "in_flight"
minimum = 1
maximum = 2
target = 1
stabilization_s = 2
"""


async def wait_until(condition, what: str) -> None:
    try:
        async with asyncio.timeout(BOUND_S):
            while not condition():
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"never came: {what}") from None


async def hold_requests_in_flight(http: httpx.AsyncClient, shop: str, stop: asyncio.Event) -> None:
    """Long polls on a quote job no worker takes: each keeps a request in flight at MES."""
    body = {
        "items": [{"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [5, 5, 5]}]
    }
    job = (await http.post(f"{shop}/api/v1/quotes", json=body)).json()
    while not stop.is_set():
        with contextlib.suppress(httpx.HTTPError):
            await http.get(f"{shop}{job['status_url']}", params={"wait_s": 2})


async def test_the_autoscaler_scales_mes_out_under_load_and_back_in_after(
    gateway_with_one_mes, tmp_path: Path
) -> None:
    settings, scaler = gateway_with_one_mes
    policies = tmp_path / "autoscaling.toml"
    policies.write_text(POLICIES)
    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    loop = AutoscalerLoop(settings, scaler, engine, policies_path=policies)
    stop_loop, stop_load = asyncio.Event(), asyncio.Event()
    shop = f"http://127.0.0.1:{settings.shop_port}"
    running = asyncio.create_task(loop.run(stop_loop))
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            clients = [
                asyncio.create_task(hold_requests_in_flight(http, shop, stop_load))
                for _ in range(4)
            ]
            await wait_until(lambda: scaler.count("mes") == 2, "a second MES instance")
            stop_load.set()
            await asyncio.gather(*clients)
        await wait_until(lambda: scaler.count("mes") == 1, "back to one instance")
    finally:
        stop_loop.set()
        await asyncio.wait_for(running, BOUND_S)
        await engine.dispose()

    reasons = [decision["reason"] for decision in loop.decisions]
    assert reasons == ["scale out", "scale in"]
    out, back = loop.decisions
    assert (out["current"], out["desired"]) == (1, 2) and out["metric"] >= 2
    assert (back["current"], back["desired"]) == (2, 1)
    report = json.loads((settings.run_dir / "autoscaler.json").read_text())
    assert report["instances"] == {"mes": 1} and len(report["decisions"]) == 2
    assert autoscaling.DESIRED.labels("mes")._value.get() == 1
