"""A gateway in front of one real MES instance, scaled by the platform's own Scaler."""

import pytest

from fabrika.gateway.routing import load_routing_table
from fabrika.platform.processes import Child, Supervisor
from fabrika.platform.scaling import Scaler
from fabrika.platform.topology import Instance, port_of
from fabrika.platform.up import haproxy_binary, service_child, write_gateway_config
from tests.ports import free_port, free_port_range


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
