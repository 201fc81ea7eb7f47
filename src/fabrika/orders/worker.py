"""The saga worker: a DBOS executor for the order queues, with health, readiness and metrics.

It owns no schema: its database connection serves only its heartbeat and the reaper.
"""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.core.workflows import start_executor, stop_executor
from fabrika.orders import steps, workflow  # noqa: F401  (registers the workflow with DBOS)
from fabrika.orders.client import ORDER_QUEUES


async def _launch(app: FastAPI) -> None:
    steps.configure(app.state.http)
    await start_executor(app, kind="saga", queues=ORDER_QUEUES, pool_size=10)


def build() -> FastAPI:
    return create_app(
        "saga",
        routers=[],
        uses_db=True,
        db_pool_size=2,
        on_startup=_launch,
        on_shutdown=stop_executor,
    )
