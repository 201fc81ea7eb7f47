"""The saga worker: a DBOS executor with health, readiness and metrics over HTTP."""

import os

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.core.workflows import launch_executor, shutdown_executor
from fabrika.orders import steps, workflow  # noqa: F401  (registers the workflow with DBOS)
from fabrika.orders.client import QUEUE_NAME


async def _launch(app: FastAPI) -> None:
    steps.configure(app.state.http)
    executor_id = os.environ.get("FABRIKA_EXECUTOR_ID", "saga-0")
    launch_executor(app.state.settings, executor_id=executor_id, queues=[QUEUE_NAME])


async def _shutdown(app: FastAPI) -> None:
    shutdown_executor()


def build() -> FastAPI:
    return create_app("saga", routers=[], uses_db=False, on_startup=_launch, on_shutdown=_shutdown)
