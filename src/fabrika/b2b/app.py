"""The B2B service's ASGI app."""

from cachetools import TTLCache
from fastapi import FastAPI

from fabrika.b2b.api import router
from fabrika.core.app import create_app
from fabrika.orders.client import close_saga_client, open_saga_client

# A key checked in the last 30 s is not checked again: a revoked key stops working within
# that time, and the CRM is spared one call per partner request.
ACCOUNT_CACHE_TTL_S = 30


async def _start(app: FastAPI) -> None:
    app.state.accounts = TTLCache(maxsize=10_000, ttl=ACCOUNT_CACHE_TTL_S)
    await open_saga_client(app)


def build() -> FastAPI:
    return create_app(
        "b2b", routers=[router], uses_db=False, on_startup=_start, on_shutdown=close_saga_client
    )
