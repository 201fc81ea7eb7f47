"""MES use cases for pricing: turning order items into a quote document. Session first."""

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence

from dbos import DBOSClient
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.contracts.orders import Item
from fabrika.contracts.quotes import PricingResult, QuoteDocument, QuoteJobStatus
from fabrika.core.cache import Cache
from fabrika.mes.capacity import Demand, plan_slots, ready_date
from fabrika.mes.catalog import Catalog
from fabrika.mes.geometry import Measurements
from fabrika.mes.jobs import job_view
from fabrika.mes.models import Model
from fabrika.mes.pricing import ItemSpec, QuoteRefused, measurements_from_dimensions, quote_order
from fabrika.mes.production import QUOTES, booked_until, demands_of, stored_quote
from fabrika.mes.quotes import quote_document
from fabrika.mes.schemas import QuoteRequest

QUOTE_TTL_S = 3600
ANALYSIS_TTL_S = 7 * 24 * 3600


async def models_of(session: AsyncSession, items: Sequence[Item]) -> dict[uuid.UUID, Model]:
    """The uploaded models the items refer to; an unknown one refuses the quote."""
    models = {}
    for index, item in enumerate(items):
        if item.model_id is None or item.model_id in models:
            continue
        model = await session.get(Model, item.model_id)
        if model is None:
            raise QuoteRefused(
                "unknown_model", f"Item {index + 1}: there is no model {item.model_id}."
            )
        models[item.model_id] = model
    return models


def cache_key(items: Sequence[Item], models: Mapping[uuid.UUID, Model], version: int) -> str:
    """Identical requests share a key: the models' content, the options, the catalog version."""
    canonical = [
        {
            **item.model_dump(mode="json", exclude={"model_id"}),
            "model": models[item.model_id].sha256 if item.model_id else None,
        }
        for item in items
    ]
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()
    return f"v{version}:{digest}"


def item_specs(
    items: Sequence[Item],
    models: Mapping[uuid.UUID, Model],
    supports: Mapping[str, float],
) -> list[ItemSpec]:
    specs = []
    for item in items:
        support = 0.0
        if item.model_id is not None:
            model = models[item.model_id]
            x, y, z = model.bbox_mm
            measurements = Measurements(
                triangles=model.triangles,
                volume_mm3=model.volume_mm3,
                area_mm2=model.area_mm2,
                bbox_mm=(x, y, z),
            )
            support = supports.get(model.sha256, 0.0)
        else:
            assert item.dimensions_mm is not None
            measurements = measurements_from_dimensions(*item.dimensions_mm)
        specs.append(
            ItemSpec(
                material=item.material,
                process=item.process,
                quantity=item.quantity,
                finish=item.finish,
                measurements=measurements,
                support_volume_mm3=support,
            )
        )
    return specs


async def price_items(
    items: Sequence[Item],
    models: Mapping[uuid.UUID, Model],
    *,
    catalog: Catalog,
    version: int,
    supports: Mapping[str, float],
) -> QuoteDocument:
    """The quote document without its lead time (which depends on today's bookings)."""
    specs = item_specs(items, models, supports)
    result = await asyncio.to_thread(quote_order, catalog, specs)
    return quote_document(catalog, result, specs, catalog_version=version, ready_by=None)


async def with_lead_time(
    session: AsyncSession, document: QuoteDocument, *, valid_days: int | None = None
) -> QuoteDocument:
    """The quote with `ready_by`, when the order would be ready if booked now, and with
    `valid_days`, `valid_until`: until when an order may take its price."""
    now = dt.datetime.now(dt.UTC)
    demands: list[Demand] = demands_of(document)
    booked = await booked_until(session, [d.machine_id for d in demands])
    slots = plan_slots(demands, booked, now=now, due_date=None)
    ready = ready_date(max(s.ends_at for s in slots), handling_days=1)
    dated: QuoteDocument = {**document, "ready_by": ready.isoformat()}
    if valid_days is not None:
        dated["valid_until"] = (now + dt.timedelta(days=valid_days)).isoformat()
    return dated


async def store_quote(
    session: AsyncSession, *, order_id: uuid.UUID, version: int, document: QuoteDocument
) -> QuoteDocument:
    """Keep the order's quote (reservation reads it); the first one stored wins."""
    stored: QuoteDocument | None = await session.scalar(
        insert(QUOTES)
        .values(order_id=order_id, catalog_version=version, document=document)
        .on_conflict_do_nothing(index_elements=[QUOTES.c.order_id])
        .returning(QUOTES.c.document)
    )
    if stored is not None:
        return stored
    first = await stored_quote(session, order_id)
    assert first is not None
    return first


async def price_request(
    session: AsyncSession,
    request: QuoteRequest,
    *,
    catalog: tuple[int, Catalog],
    quotes: Cache,
    supports: Mapping[str, float],
) -> PricingResult:
    """{"ok": True, "quote": …} or {"ok": False, "code", "detail"}: the items priced with the
    catalog given as (version, catalog), from the cache when the same request was priced
    before; an order's quote is kept for its reservation, and asking again returns the one
    kept (a repeat is priced again, mostly from the cache, and then finds it: that costs
    a first request, the usual one, no lookup)."""
    version, current = catalog
    try:
        models = await models_of(session, request.items)
        key = cache_key(request.items, models, version)

        async def price() -> bytes:
            document = await price_items(
                request.items, models, catalog=current, version=version, supports=supports
            )
            return json.dumps(document).encode()

        cached = await quotes.get_or_load(key, price, ttl_s=QUOTE_TTL_S)
        document: QuoteDocument = json.loads(cached)  # our own JSON, as price() wrote it
    except QuoteRefused as refused:
        # Refused now (the catalog changed since?): a quote kept for the order still holds.
        if request.order_id and (kept := await stored_quote(session, request.order_id)):
            return {"ok": True, "quote": kept}
        return {"ok": False, "code": refused.code, "detail": str(refused)}
    document = await with_lead_time(session, document, valid_days=current.quote_validity_days)
    if request.order_id:
        document = await store_quote(
            session, order_id=request.order_id, version=version, document=document
        )
    return {"ok": True, "quote": document}


async def known_supports(
    session: AsyncSession, analyses: Cache, items: Sequence[Item]
) -> dict[str, float] | None:
    """The support volume of every model the items use if each one is analysed already
    (items given by their dimensions need none); None when a model still needs analysis."""
    supports: dict[str, float] = {}
    for model_id in {item.model_id for item in items if item.model_id is not None}:
        model = await session.get(Model, model_id)
        if model is None:
            continue  # pricing refuses the unknown model with a readable reason
        cached = await analyses.get(model.sha256)
        if cached is None:
            return None
        supports[model.sha256] = float(json.loads(cached)["support_volume_mm3"])
    return supports


async def take_quote(
    session: AsyncSession, dbos: DBOSClient, *, order_id: uuid.UUID, job_id: str
) -> PricingResult:
    """The order takes a finished quote job's quote (a partner ordering with a quote it
    asked for): its price holds until the quote's `valid_until`; its lead time is today's."""
    job = await job_view(dbos, job_id)
    quote = job.get("quote")
    if job["status"] != QuoteJobStatus.DONE or quote is None:
        detail = (
            f"The quote {job_id} has no price yet (it is {job['status']}); "
            "order with it once it is done."
        )
        return {"ok": False, "code": "quote_not_ready", "detail": detail}
    valid_until = quote.get("valid_until")
    if valid_until is not None and dt.datetime.fromisoformat(valid_until) < dt.datetime.now(dt.UTC):
        detail = f"The quote {job_id} was valid until {valid_until[:16]} UTC; ask for a new one."
        return {"ok": False, "code": "quote_expired", "detail": detail}
    document = await with_lead_time(session, quote)
    version = quote["catalog_version"]
    return {
        "ok": True,
        "quote": await store_quote(session, order_id=order_id, version=version, document=document),
    }
