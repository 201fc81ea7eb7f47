"""The MES service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.core.cache import Cache
from fabrika.core.workflows import close_dbos_client, open_dbos_client
from fabrika.mes.admin import admin
from fabrika.mes.api import internal, public
from fabrika.mes.catalog_store import CatalogStore


async def _open(app: FastAPI) -> None:
    app.state.catalog = catalog_store(app)
    await open_dbos_client(app)


def catalog_store(app: FastAPI) -> CatalogStore:
    settings = app.state.settings
    enabled = settings.cache_enabled
    cache = Cache(
        app.state.redis, prefix=settings.redis_prefix, name="mes-catalog", enabled=enabled
    )
    return CatalogStore(app.state.sessions, cache)


def build() -> FastAPI:
    return create_app(
        "mes",
        routers=[public, internal, admin],
        uses_redis=True,
        on_startup=_open,
        on_shutdown=close_dbos_client,
    )
