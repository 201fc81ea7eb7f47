"""Quotes as long-running jobs: a DBOS workflow per job, run by the quote workers.

A job analyses each uploaded model once (support volume per orientation: the CPU-heavy
part, cached by the model's hash), then prices the items with the current catalog; the
whole quote is cached by models, options and catalog version, so a repeated request is
answered without recalculation. Progress is published as a DBOS event.
"""

import asyncio
import json
import uuid
from dataclasses import dataclass

import structlog
from dbos import DBOS
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fabrika.contracts import JsonObject
from fabrika.contracts.quotes import PricingResult
from fabrika.core.cache import Cache
from fabrika.mes import quoting
from fabrika.mes.analysis import analyse
from fabrika.mes.catalog_store import CatalogStore
from fabrika.mes.client import QUOTE_WORKFLOW
from fabrika.mes.geometry import parse_stl
from fabrika.mes.jobs import PROGRESS, models_to_analyse
from fabrika.mes.models import Model, ModelFile
from fabrika.mes.schemas import QuoteRequest

log = structlog.get_logger()
QUOTES_DONE = Counter("fabrika_quote_jobs", "Quote jobs finished", ["outcome"])
ANALYSIS_SECONDS = Histogram(
    "fabrika_model_analysis_seconds",
    "Time to parse and analyse one model",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@dataclass
class QuoteContext:
    sessions: async_sessionmaker[AsyncSession]
    catalog: CatalogStore
    quotes: Cache
    analyses: Cache


_context: QuoteContext | None = None


def configure(context: QuoteContext) -> None:
    """Called once by the quote worker at start-up, before DBOS launches."""
    global _context
    _context = context


def context() -> QuoteContext:
    if _context is None:
        raise RuntimeError("quote steps used before fabrika.mes.quote_jobs.configure()")
    return _context


@DBOS.workflow(name=QUOTE_WORKFLOW)
async def quote_job(request: JsonObject) -> PricingResult:
    model_ids = models_to_analyse(QuoteRequest.model_validate(request))
    total = len(model_ids) + 1
    supports: dict[str, float] = {}
    for done, model_id in enumerate(model_ids, start=1):
        supports.update(await analyse_model(model_id))
        # Progress is an event a waiting client reads while the job runs, one write each:
        # published only while models remain, since pricing after the last one is quick.
        if done < len(model_ids):
            await DBOS.set_event_async(PROGRESS, {"done": done, "total": total})
    result = await price_request(request, supports)
    QUOTES_DONE.labels("done" if result["ok"] else "refused").inc()
    result["progress"] = {"done": total, "total": total}
    return result


@DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=0.5)
async def analyse_model(model_id: str) -> dict[str, float]:
    """{model sha256: support volume in its best orientation}, computed once per model."""
    ctx = context()
    async with ctx.sessions() as session:
        model = await session.get(Model, uuid.UUID(model_id))
    if model is None:
        return {}  # pricing refuses the unknown model with a readable reason
    sha256 = model.sha256

    async def load() -> bytes:
        async with ctx.sessions() as session:
            stored = await session.get(ModelFile, uuid.UUID(model_id))
        assert stored is not None
        with ANALYSIS_SECONDS.time():
            support = await asyncio.to_thread(_support_volume, stored.data)
        return json.dumps({"support_volume_mm3": support}).encode()

    cached = await ctx.analyses.get_or_load(sha256, load, ttl_s=quoting.ANALYSIS_TTL_S)
    analysis = json.loads(cached)
    return {sha256: float(analysis["support_volume_mm3"])}


def _support_volume(data: bytes) -> float:
    return analyse(parse_stl(data, max_triangles=len(data) // 50)).least_support.support_volume_mm3


@DBOS.step(retries_allowed=True, max_attempts=5, interval_seconds=0.5)
async def price_request(request: JsonObject, supports: dict[str, float]) -> PricingResult:
    """Price the items (from the cache when the same request was priced before)."""
    ctx = context()
    async with ctx.sessions() as session, session.begin():
        return await quoting.price_request(
            session,
            QuoteRequest.model_validate(request),
            catalog=await ctx.catalog.current(),
            quotes=ctx.quotes,
            supports=supports,
        )
