"""The ops service's ASGI app, with gauges of sagas in flight and overdue for Prometheus."""

import asyncio
import contextlib

import structlog
from fastapi import FastAPI
from prometheus_client import Gauge

from fabrika.core.app import create_app
from fabrika.crm.client import CrmClient
from fabrika.ops import partners
from fabrika.ops.api import router
from fabrika.orders.client import close_saga_client, open_saga_client

log = structlog.get_logger()
SAGAS_IN_FLIGHT = Gauge("fabrika_sagas_in_flight", "Orders not yet ACCEPTED or CANCELLED")
SAGAS_OVERDUE = Gauge("fabrika_sagas_overdue", "Open orders past their deadline (should be 0)")
ORDERS_BY_STATUS = Gauge("fabrika_orders", "Orders by status", ["status"])
REFRESH_S = 10.0


async def _refresh_gauges(app: FastAPI) -> None:
    crm = CrmClient(app.state.http)
    while True:
        try:
            stats = await crm.order_stats()
            SAGAS_IN_FLIGHT.set(stats.in_flight)
            SAGAS_OVERDUE.set(stats.overdue)
            for status, count in stats.by_status.items():
                ORDERS_BY_STATUS.labels(status.value).set(count)
        except Exception as exc:  # the gauges keep their last value; the next round retries
            log.warning("order gauges not refreshed", error=repr(exc))
        await asyncio.sleep(REFRESH_S)


async def _start(app: FastAPI) -> None:
    await open_saga_client(app)
    app.state.gauges = asyncio.create_task(_refresh_gauges(app))


async def _stop(app: FastAPI) -> None:
    app.state.gauges.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app.state.gauges
    await close_saga_client(app)


def build() -> FastAPI:
    return create_app(
        "ops",
        routers=[router, partners.router],
        uses_db=False,
        on_startup=_start,
        on_shutdown=_stop,
    )
