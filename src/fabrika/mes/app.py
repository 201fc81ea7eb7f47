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
    app.state.quotes = mes_cache(app, "mes-quotes")
    app.state.analyses = mes_cache(app, "mes-analyses")
    await open_dbos_client(app)


def mes_cache(app: FastAPI, name: str) -> Cache:
    """One of the MES's caches, shared by its API instances and the quote workers."""
    settings = app.state.settings
    return Cache(
        app.state.redis, prefix=settings.redis_prefix, name=name, enabled=settings.cache_enabled
    )


def catalog_store(app: FastAPI) -> CatalogStore:
    return CatalogStore(app.state.sessions, mes_cache(app, "mes-catalog"))


def build() -> FastAPI:
    return create_app(
        "mes",
        routers=[public, internal, admin],
        uses_redis=True,
        on_startup=_open,
        on_shutdown=close_dbos_client,
    )
