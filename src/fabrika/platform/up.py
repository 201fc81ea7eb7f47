"""`fabrika up`: migrate, seed, render the gateway, start every process, stop them all."""

import asyncio
import contextlib
import shutil
import signal
from collections.abc import Awaitable, Mapping

import structlog

from fabrika.core.db import create_engine
from fabrika.core.settings import Settings
from fabrika.gateway.haproxy import Server, render_haproxy_config
from fabrika.gateway.routing import load_routing_table
from fabrika.gateway.runtime import server_states
from fabrika.platform.autoscaling import AutoscalerLoop
from fabrika.platform.database import ensure_database
from fabrika.platform.migrate import migrate_all
from fabrika.platform.processes import Child, Supervisor, python_command
from fabrika.platform.scaling import Scaler
from fabrika.platform.seed import seed_demo_data
from fabrika.platform.topology import (
    HTTP_SERVICES,
    MAX_INSTANCES,
    WORKERS,
    Instance,
    plan_instances,
    port_of,
)

log = structlog.get_logger()


def gateway_ports(settings: Settings) -> dict[str, int]:
    return {
        "shop": settings.shop_port,
        "b2b": settings.b2b_port,
        "ops": settings.ops_port,
        "internal": settings.internal_port,
    }


def write_gateway_config(settings: Settings, instances: list[Instance]) -> str:
    """Every possible instance of every routed service is a server; those not running are
    disabled until the scaler switches them on through the runtime API."""
    running = {(i.service, i.index) for i in instances}
    servers = {
        service: [
            Server(
                f"{service}-{index}",
                settings.host,
                port_of(service, index, settings.service_port_base),
                disabled=(service, index) not in running,
            )
            for index in range(MAX_INSTANCES)
        ]
        for service in HTTP_SERVICES
    }
    config = render_haproxy_config(
        load_routing_table(),
        ports=gateway_ports(settings),
        stats_port=settings.stats_port,
        servers=servers,
        runtime_socket=(settings.run_dir / "haproxy.sock").resolve(),
    )
    path = (settings.run_dir / "haproxy.cfg").resolve()
    path.write_text(config)
    return str(path)


def service_child(settings: Settings, instance: Instance) -> Child:
    args = ["serve", instance.service, "--port", str(instance.port)]
    # Workers are DBOS executors: a stable id per instance lets a restart recover its work.
    env = {"FABRIKA_EXECUTOR_ID": instance.name} if instance.service in WORKERS else {}
    return Child(
        instance.name,
        python_command(*args),
        env=env,
        ready_url=f"http://{settings.host}:{instance.port}/readyz",
    )


async def run_platform(settings: Settings, scale: Mapping[str, int]) -> None:
    """Start the platform and keep it running until SIGINT or SIGTERM."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    await ensure_database(settings)
    await asyncio.to_thread(migrate_all, settings)
    credentials = await seed_demo_data(settings)

    instances = plan_instances(scale, settings.service_port_base)
    supervisor = Supervisor(settings.run_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await supervisor.start(Child("mailsink", python_command("mailsink")))
        services = [await supervisor.start(service_child(settings, i)) for i in instances]
        await _until_stopped(supervisor.wait_ready(services, timeout_s=90), stop)
        if not stop.is_set():
            config = write_gateway_config(settings, instances)
            await supervisor.start(Child("gateway", [haproxy_binary(), "-W", "-db", "-f", config]))
            await _until_stopped(_gateway_routing(settings, supervisor), stop)
        if not stop.is_set():
            _announce(settings, instances, credentials)
            children = {c.name: c for c in services}
            scaler = Scaler(settings, supervisor, load_routing_table(), children, service_child)
            await _run_until_stopped(settings, supervisor, scaler, stop)
    finally:
        log.info("stopping the platform")
        await supervisor.stop_all()
        log.info("platform stopped")


def haproxy_binary() -> str:
    """Debian installs HAProxy in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("haproxy") or "/usr/sbin/haproxy"


async def _until_stopped(work: Awaitable[None], stop: asyncio.Event) -> None:
    """Run `work` unless a stop signal comes first; its failure stops the platform."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopping.cancel()
        task.result()
    else:
        task.cancel()


async def _gateway_routing(
    settings: Settings, supervisor: Supervisor, timeout_s: float = 30
) -> None:
    """Wait until HAProxy's health checks see every server UP, so the first client succeeds."""
    socket = (settings.run_dir / "haproxy.sock").resolve()
    async with asyncio.timeout(timeout_s):
        while True:
            if any(child.name == "gateway" for child in supervisor.exited()):
                raise RuntimeError(f"the gateway exited; see {settings.run_dir / 'logs'}")
            with contextlib.suppress(OSError):  # the socket appears once HAProxy runs
                states = await server_states(socket)
                if states and all(s.up for s in states if s.status != "MAINT"):
                    return
            await asyncio.sleep(0.2)


async def _run_until_stopped(
    settings: Settings, supervisor: Supervisor, scaler: Scaler, stop: asyncio.Event
) -> None:
    """Watch the processes and, unless FABRIKA_AUTOSCALE=false, autoscale them."""
    engine = create_engine(settings.sqlalchemy_url, pool_size=2)
    tasks = [asyncio.create_task(_watch(supervisor, stop))]
    if settings.autoscale:
        tasks.append(asyncio.create_task(AutoscalerLoop(settings, scaler, engine).run(stop)))
    try:
        await asyncio.gather(*tasks)
    finally:
        await engine.dispose()


async def _watch(supervisor: Supervisor, stop: asyncio.Event) -> None:
    """Run until asked to stop, starting again any process that dies."""
    while not stop.is_set():
        await supervisor.restart_exited()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


def _announce(
    settings: Settings, instances: list[Instance], credentials: Mapping[str, str]
) -> None:
    host = settings.host
    counts: dict[str, int] = {}
    for instance in instances:
        counts[instance.service] = counts.get(instance.service, 0) + 1
    lines = [
        "",
        "Fabrika is running.",
        f"  shop entry       http://{host}:{settings.shop_port}/api/v1/catalog",
        f"  B2B entry        http://{host}:{settings.b2b_port}/v1/orders",
        f"  operators' entry http://{host}:{settings.ops_port}/api/v1/mailbox",
        f"  gateway metrics  http://{host}:{settings.stats_port}/metrics",
        "  instances        " + ", ".join(f"{s}×{n}" for s, n in counts.items()),
        f"  demo B2B key     {credentials['b2b_key']}   (account {credentials['b2b_account']})",
        f"  demo B2B plan    {credentials['b2b_plan']}",
        f"  B2B API docs     http://{host}:{settings.b2b_port}/docs",
        f"  logs             {settings.run_dir.resolve() / 'logs'}",
        "Press Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)
