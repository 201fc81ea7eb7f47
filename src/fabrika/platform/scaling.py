"""Adding and removing instances while the platform runs, without losing a request.

Out: start the instance on its fixed port, wait until it is ready, then switch its server
on in every backend of its service and wait for HAProxy's check to see it UP.
In: switch its servers to drain (no new requests, current ones finish), wait until they
hold no session, take them out, and only then stop the process. Workers have no servers:
a retired worker finishes what it can on SIGTERM, and the reaper gives what it could not
finish to another.
"""

import asyncio
import contextlib
from collections.abc import Callable

import structlog

from fabrika.core.settings import Settings
from fabrika.gateway.routing import RoutingTable
from fabrika.gateway.runtime import ServerState, server_states, set_server_state
from fabrika.platform.processes import Child, Supervisor
from fabrika.platform.topology import MAX_INSTANCES, Instance, port_of

log = structlog.get_logger()


class Scaler:
    """The running instances of each service, and how to change their number."""

    def __init__(
        self,
        settings: Settings,
        supervisor: Supervisor,
        table: RoutingTable,
        children: dict[str, Child],
        make_child: Callable[[Settings, Instance], Child],
    ) -> None:
        self.settings = settings
        self.supervisor = supervisor
        self.socket = (settings.run_dir / "haproxy.sock").resolve()
        self.backends: dict[str, list[str]] = {}
        for entry, service in table.backends():
            self.backends.setdefault(service, []).append(f"{entry}_{service}")
        self.children = children  # name → child, for every running instance
        self.make_child = make_child

    def ports(self, service: str) -> list[int]:
        base = self.settings.service_port_base
        return [port_of(service, index, base) for index in self._indices(service)]

    def count(self, service: str) -> int:
        return sum(1 for name in self.children if name.rsplit("-", 1)[0] == service)

    def _indices(self, service: str) -> list[int]:
        return sorted(
            int(name.rsplit("-", 1)[1])
            for name in self.children
            if name.rsplit("-", 1)[0] == service
        )

    async def scale_out(self, service: str) -> Instance | None:
        used = set(self._indices(service))
        free = [i for i in range(MAX_INSTANCES) if i not in used]
        if not free:
            return None
        index = free[0]
        instance = Instance(
            service, index, port_of(service, index, self.settings.service_port_base)
        )
        child = await self.supervisor.start(self.make_child(self.settings, instance))
        await self.supervisor.wait_ready([child], timeout_s=60)
        # Workers (saga, quote) take their work from queues: the gateway knows nothing of them.
        if backends := self.backends.get(service, []):
            for backend in backends:
                await set_server_state(self.socket, backend, instance.name, "ready")
            await self.wait_for_server(instance.name, lambda state: state.up, timeout_s=15)
        self.children[instance.name] = child
        log.info("scaled out", service=service, instance=instance.name)
        return instance

    async def scale_in(self, service: str) -> str | None:
        indices = self._indices(service)
        if len(indices) <= 1:
            return None
        name = f"{service}-{indices[-1]}"
        if backends := self.backends.get(service, []):
            for backend in backends:
                await set_server_state(self.socket, backend, name, "drain")
            await self.wait_for_server(name, lambda state: state.sessions == 0, timeout_s=30)
            for backend in backends:
                await set_server_state(self.socket, backend, name, "maint")
        child = self.children.pop(name)
        # The gateway sends it nothing any more: its graceful exit can take its time
        # without holding up the next scaling decision.
        self.supervisor.retire(child)
        log.info("scaled in", service=service, instance=name)
        return name

    async def wait_for_server(
        self, server: str, condition: Callable[[ServerState], bool], timeout_s: float
    ) -> None:
        """Wait until `condition` holds for `server` in all its backends (bounded)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            with contextlib.suppress(OSError):  # the socket appears once HAProxy runs
                states = [s for s in await server_states(self.socket) if s.server == server]
                if states and all(condition(s) for s in states):
                    return
            await asyncio.sleep(0.1)
        log.warning("gave up waiting for the gateway", server=server)
