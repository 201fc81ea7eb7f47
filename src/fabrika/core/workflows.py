"""DBOS for every process: the client that entry services use to start and follow workflows,
and the configuration of the processes that run them (saga and quote workers)."""

import asyncio
import os

from dbos import DBOS, DBOSClient, DBOSConfig
from fastapi import FastAPI

from fabrika.core.executors import ExecutorLiveness
from fabrika.core.settings import Settings

APPLICATION = "fabrika"


def connect(settings: Settings) -> DBOSClient:
    return DBOSClient(
        system_database_url=settings.dbos_url,
        application_name=APPLICATION,
        system_database_pool_size=2,
    )


async def open_dbos_client(app: FastAPI) -> None:
    """Lifespan hook: `app.state.dbos`, a client of the DBOS system tables."""
    app.state.dbos = await asyncio.to_thread(connect, app.state.settings)


async def close_dbos_client(app: FastAPI) -> None:
    await asyncio.to_thread(app.state.dbos.destroy)


def register_queue(
    settings: Settings, name: str, *, worker_concurrency: int, polling_interval_sec: float
) -> None:
    """Declare a queue in the system tables, so work can be enqueued before any worker runs."""
    client = connect(settings)
    try:
        client.register_queue(
            name, worker_concurrency=worker_concurrency, polling_interval_sec=polling_interval_sec
        )
    finally:
        client.destroy()


async def start_executor(app: FastAPI, *, kind: str, queues: list[str], pool_size: int) -> None:
    """Lifespan hook of a worker: launch DBOS as this instance's executor, then its liveness
    (heartbeat and reaping). The id comes from FABRIKA_EXECUTOR_ID, stable per instance."""
    settings = app.state.settings
    executor_id = os.environ.get("FABRIKA_EXECUTOR_ID", f"{kind}-0")
    launch_executor(settings, executor_id=executor_id, queues=queues, pool_size=pool_size)
    app.state.liveness = ExecutorLiveness(
        settings.sqlalchemy_url,
        executor_id=executor_id,
        kind=kind,
        version=settings.application_version,
    )
    app.state.liveness.start()


async def stop_executor(app: FastAPI) -> None:
    await app.state.liveness.stop()
    shutdown_executor()


def launch_executor(
    settings: Settings, *, executor_id: str, queues: list[str], pool_size: int
) -> None:
    """Start DBOS in this process as executor `executor_id`, dequeuing only from `queues`.

    The application version is pinned (not DBOS's hash of the code), so a restarted or
    upgraded worker still recovers the work its predecessor left pending.
    """
    config: DBOSConfig = {
        "name": APPLICATION,
        "system_database_url": settings.dbos_url,
        "application_version": settings.application_version,
        "executor_id": executor_id,
        "run_migrations": False,
        "sys_db_pool_size": pool_size,
        # DBOS retries its statements on connection errors, so a ping before each of them
        # (two to four per step) buys nothing.
        "db_engine_kwargs": {"pool_pre_ping": False},
        "notification_listener_polling_interval_sec": 0.1,
    }
    DBOS(config=config)
    DBOS.listen_queues(queues)
    DBOS.launch()


def shutdown_executor() -> None:
    DBOS.destroy(workflow_completion_timeout_sec=5)
