"""The B2B service's ASGI app: the partner API, its quotas and its ledger."""

import asyncio
import contextlib

import structlog
from fastapi import FastAPI

from fabrika.b2b import api, quotes
from fabrika.b2b.auth import RateLimitHeaders, key_cache
from fabrika.b2b.idempotency import Ledger
from fabrika.b2b.openapi import DOCS, document_partner_api
from fabrika.b2b.quotas import Quotas
from fabrika.core.app import create_app
from fabrika.core.docs import serve_docs
from fabrika.orders.client import close_saga_client, open_saga_client

log = structlog.get_logger()
PURGE_EVERY_S = 3600.0


async def _purge_ledger(ledger: Ledger) -> None:
    """Drop ledger entries older than a day, once an hour (every instance; it is cheap)."""
    while True:
        try:
            await ledger.purge_expired()
        except Exception as exc:  # the next round tries again
            log.warning("ledger purge failed", error=repr(exc))
        await asyncio.sleep(PURGE_EVERY_S)


async def _start(app: FastAPI) -> None:
    app.state.keys = key_cache()
    app.state.quotas = Quotas(app.state.redis, prefix=app.state.settings.redis_prefix)
    app.state.ledger = Ledger(app.state.sessions)
    app.state.purge = asyncio.create_task(_purge_ledger(app.state.ledger))
    await open_saga_client(app)


async def _stop(app: FastAPI) -> None:
    app.state.purge.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app.state.purge
    await close_saga_client(app)


def build() -> FastAPI:
    app = create_app(
        "b2b",
        routers=[api.router, quotes.router],
        uses_redis=True,
        on_startup=_start,
        on_shutdown=_stop,
        docs=DOCS,
        middleware=[RateLimitHeaders],
    )
    document_partner_api(app)
    serve_docs(app)  # /docs, its files under /docs/assets: no CDN
    return app
