"""The B2B service's ASGI app."""

from fastapi import FastAPI

from fabrika.b2b.api import router
from fabrika.core.app import create_app
from fabrika.orders.client import close_saga_client, open_saga_client


def build() -> FastAPI:
    return create_app(
        "b2b",
        routers=[router],
        uses_db=False,
        on_startup=open_saga_client,
        on_shutdown=close_saga_client,
    )
