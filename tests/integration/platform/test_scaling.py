"""Scaling MES out and in, three times, under constant load: not one request may fail."""

import asyncio

import httpx
import pytest

from fabrika.gateway.routing import load_routing_table
from fabrika.gateway.runtime import server_states
from fabrika.platform.processes import Child, Supervisor
from fabrika.platform.scaling import Scaler
from fabrika.platform.topology import Instance, port_of
from fabrika.platform.up import haproxy_binary, service_child, write_gateway_config
from tests.ports import free_port, free_port_range

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
async def gateway_with_one_mes(settings, tmp_path):
    local = settings.model_copy(
        update={
            "run_dir": tmp_path,
            "service_port_base": free_port_range(64),
            **{f"{name}_port": free_port() for name in ("shop", "b2b", "ops", "internal", "stats")},
        }
    )
    supervisor = Supervisor(tmp_path)
    first = Instance("mes", 0, port_of("mes", 0, local.service_port_base))
    try:
        mes = await supervisor.start(service_child(local, first))
        await supervisor.wait_ready([mes], timeout_s=60)
        config = write_gateway_config(local, [first])
        await supervisor.start(Child("gateway", [haproxy_binary(), "-W", "-db", "-f", config]))
        scaler = Scaler(local, supervisor, load_routing_table(), {"mes-0": mes}, service_child)
        await scaler.wait_for_server("mes-0", lambda state: state.up, timeout_s=15)
        yield local, scaler
    finally:
        await supervisor.stop_all()


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
            assert (await scaler.scale_out("mes")).name == "mes-1"
            await asyncio.sleep(1.0)
            assert await scaler.scale_in("mes") == "mes-1"
            await asyncio.sleep(0.5)
        stop.set()
        await asyncio.gather(*clients)

    served_by_second = [s for s in await server_states(scaler.socket) if s.server == "mes-1"]
    assert len(results) > 100
    assert [code for code in results if code != 200] == []
    assert all(state.status == "MAINT" for state in served_by_second)
    assert scaler.count("mes") == 1
    await asyncio.wait_for(asyncio.gather(*scaler.supervisor.retiring), 30)
    assert [c.name for c in scaler.supervisor.children] == ["mes-0", "gateway"]


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
