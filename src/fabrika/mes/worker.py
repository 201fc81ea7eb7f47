"""The quote worker: a DBOS executor for the `quotes` queue, one CPU-bound job at a time."""

from fastapi import FastAPI

from fabrika.core.app import create_app
from fabrika.core.workflows import start_executor, stop_executor
from fabrika.mes import quote_jobs
from fabrika.mes.app import catalog_store, mes_cache
from fabrika.mes.client import QUOTE_QUEUE


async def _launch(app: FastAPI) -> None:
    quote_jobs.configure(
        quote_jobs.QuoteContext(
            sessions=app.state.sessions,
            catalog=catalog_store(app),
            quotes=mes_cache(app, "mes-quotes"),
            analyses=mes_cache(app, "mes-analyses"),
        )
    )
    await start_executor(app, kind="quote", queues=[QUOTE_QUEUE], pool_size=4)


def build() -> FastAPI:
    return create_app(
        "quote", routers=[], uses_redis=True, on_startup=_launch, on_shutdown=stop_executor
    )
