"""MES use cases for pricing: turning order items into a quote document. Session first."""

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.mes.capacity import Demand, plan_slots, ready_date
from fabrika.mes.catalog import Catalog
from fabrika.mes.geometry import Measurements
from fabrika.mes.models import Model, StoredQuote
from fabrika.mes.pricing import ItemSpec, QuoteRefused, measurements_from_dimensions, quote_order
from fabrika.mes.production import booked_until, demands_of
from fabrika.mes.quotes import quote_document
from fabrika.orders.schemas import Item


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
            measurements = Measurements(
                triangles=model.triangles,
                volume_mm3=model.volume_mm3,
                area_mm2=model.area_mm2,
                bbox_mm=tuple(model.bbox_mm),
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
) -> dict[str, Any]:
    """The quote document without its lead time (which depends on today's bookings)."""
    specs = item_specs(items, models, supports)
    result = await asyncio.to_thread(quote_order, catalog, specs)
    return quote_document(catalog, result, specs, catalog_version=version, ready_by=None)


async def with_lead_time(session: AsyncSession, document: dict[str, Any]) -> dict[str, Any]:
    """The quote with `ready_by`: when the order would be ready if booked now."""
    demands: list[Demand] = demands_of(document)
    booked = await booked_until(session, [d.machine_id for d in demands])
    slots = plan_slots(demands, booked, now=dt.datetime.now(dt.UTC), due_date=None)
    ready = ready_date(max(s.ends_at for s in slots), handling_days=1)
    return {**document, "ready_by": ready.isoformat()}


async def stored_quote(session: AsyncSession, order_id: uuid.UUID) -> dict[str, Any] | None:
    stored = await session.get(StoredQuote, order_id)
    return stored.document if stored else None


async def store_quote(
    session: AsyncSession, *, order_id: uuid.UUID, version: int, document: dict[str, Any]
) -> dict[str, Any]:
    """Keep the order's quote (reservation reads it); the first one stored wins."""
    await session.execute(
        insert(StoredQuote)
        .values(order_id=order_id, catalog_version=version, document=document)
        .on_conflict_do_nothing(index_elements=[StoredQuote.order_id])
    )
    stored = await session.get(StoredQuote, order_id, populate_existing=True)
    assert stored is not None
    return stored.document
