"""The shop service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.orders.client import close_saga_client, open_saga_client
from fabrika.shop import pages
from fabrika.shop.api import router


def build() -> FastAPI:
    app = create_app(
        "shop",
        routers=[router, pages.router],
        uses_db=False,
        on_startup=open_saga_client,
        on_shutdown=close_saga_client,
    )
    pages.serve_docs_locally(app)
    return app
