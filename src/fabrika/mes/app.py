"""The MES service's ASGI app."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.core.cache import Cache
from fabrika.mes.admin import admin
from fabrika.mes.api import internal, public
from fabrika.mes.catalog_store import CatalogStore


async def _open_catalog(app: FastAPI) -> None:
    cache = Cache(app.state.redis, prefix=app.state.settings.redis_prefix, name="mes-catalog")
    app.state.catalog = CatalogStore(app.state.sessions, cache)


def build() -> FastAPI:
    return create_app(
        "mes", routers=[public, internal, admin], uses_redis=True, on_startup=_open_catalog
    )
