"""Scaling MES out and in, three times, under constant load: not one request may fail."""

import asyncio

import httpx
import pytest

from fabrika.gateway.runtime import server_states
from fabrika.platform.scaling import Scaler

pytestmark = pytest.mark.usefixtures("database")


async def test_scaling_out_and_in_under_load_loses_no_request(gateway_with_one_mes) -> None:
    settings, scaler = gateway_with_one_mes
    url = f"http://127.0.0.1:{settings.shop_port}/api/v1/catalog"
    results: list[int] = []
    stop = asyncio.Event()

    async def load(http: httpx.AsyncClient) -> None:
        while not stop.is_set():
            try:
                results.append((await http.get(url)).status_code)
            except httpx.HTTPError:
                results.append(0)

    async with httpx.AsyncClient(timeout=10) as http:
        clients = [asyncio.create_task(load(http)) for _ in range(4)]
        for _ in range(3):
            before = await served_by(scaler, "mes-1")
            assert (await scaler.scale_out("mes")).name == "mes-1"
            await served_more(scaler, "mes-1", than=before)  # it takes its share of the load
            assert await scaler.scale_in("mes") == "mes-1"
            await served_more(scaler, "mes-0", than=await served_by(scaler, "mes-0"))
        stop.set()
        await asyncio.gather(*clients)

    served_by_second = [s for s in await server_states(scaler.socket) if s.server == "mes-1"]
    assert len(results) > 100
    assert [code for code in results if code != 200] == []
    assert all(state.status == "MAINT" for state in served_by_second)
    assert scaler.count("mes") == 1
    await asyncio.wait_for(asyncio.gather(*scaler.supervisor.retiring), 30)
    assert [c.name for c in scaler.supervisor.children] == ["mes-0", "gateway"]


async def served_by(scaler: Scaler, server: str) -> int:
    """Requests the gateway has sent to `server` so far, over all its backends."""
    return sum(s.served for s in await server_states(scaler.socket) if s.server == server)


async def served_more(scaler: Scaler, server: str, *, than: int, timeout_s: float = 30) -> None:
    """Wait until `server` has been sent more requests than `than` (bounded)."""
    async with asyncio.timeout(timeout_s):
        while await served_by(scaler, server) <= than:
            await asyncio.sleep(0.05)


async def test_a_worker_is_scaled_without_waiting_on_the_gateway(gateway_with_one_mes) -> None:
    _, scaler = gateway_with_one_mes
    waited_for: list[str] = []

    async def record_wait(server: str, condition, timeout_s: float) -> None:
        waited_for.append(server)

    scaler.wait_for_server = record_wait
    added = await scaler.scale_out("quote")
    assert added is not None and added.name == "quote-0"
    assert scaler.count("quote") == 1
    extra = await scaler.scale_out("quote")
    assert extra is not None and await scaler.scale_in("quote") == extra.name
    assert scaler.count("quote") == 1
    assert waited_for == []  # quote workers are no servers of the gateway's
    await asyncio.wait_for(asyncio.gather(*scaler.supervisor.retiring), 30)
