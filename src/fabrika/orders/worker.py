"""The saga worker: a DBOS executor with health, readiness and metrics over HTTP."""

import os

from dbos import DBOS, DBOSConfig
from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.core.settings import get_settings
from fabrika.orders import steps, workflow  # noqa: F401  (registers the workflow with DBOS)
from fabrika.orders.client import APPLICATION


def dbos_config(executor_id: str) -> DBOSConfig:
    settings = get_settings()
    return {
        "name": APPLICATION,
        "system_database_url": settings.dbos_url,
        "application_version": settings.application_version,
        "executor_id": executor_id,
        "run_migrations": False,
        "sys_db_pool_size": 20,
        "notification_listener_polling_interval_sec": 0.1,
    }


async def _launch(app: FastAPI) -> None:
    steps.configure(app.state.http)
    executor_id = os.environ.get("FABRIKA_EXECUTOR_ID", "saga-0")
    DBOS(config=dbos_config(executor_id))
    DBOS.launch()


async def _shutdown(app: FastAPI) -> None:
    DBOS.destroy(workflow_completion_timeout_sec=5)


def build() -> FastAPI:
    return create_app("saga", routers=[], uses_db=False, on_startup=_launch, on_shutdown=_shutdown)
