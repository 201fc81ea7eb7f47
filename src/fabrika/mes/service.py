"""MES use cases for the catalog, uploaded models and quotes. Session first; flush only."""

import asyncio
import hashlib
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.contracts.orders import Item
from fabrika.core.errors import NotFound, Problem, Unprocessable
from fabrika.mes.catalog import Catalog
from fabrika.mes.geometry import Measurements, ModelError, measure, parse_stl
from fabrika.mes.models import Model, ModelFile


def _problem_for_model(error: ModelError) -> Problem:
    status = 413 if error.code == "too_many_triangles" else 422
    return Problem(
        str(error),
        status=status,
        type=f"model-{error.code.replace('_', '-')}",
        title="The model cannot be used",
        code=error.code,
    )


async def store_model(session: AsyncSession, data: bytes, *, max_triangles: int) -> Model:
    """Measure an uploaded STL and keep it; uploading the same file again returns the same id."""
    digest = hashlib.sha256(data).hexdigest()
    existing = (await session.execute(select(Model).where(Model.sha256 == digest))).scalar()
    if existing is not None:
        return existing
    try:
        measurements = await asyncio.to_thread(_measure_stl, data, max_triangles)
    except ModelError as exc:
        raise _problem_for_model(exc) from exc
    model_id = uuid.uuid4()
    inserted = await session.execute(
        insert(Model)
        .values(
            id=model_id,
            sha256=digest,
            size_bytes=len(data),
            triangles=measurements.triangles,
            volume_mm3=measurements.volume_mm3,
            area_mm2=measurements.area_mm2,
            bbox_mm=list(measurements.bbox_mm),
        )
        .on_conflict_do_nothing(index_elements=[Model.sha256])
        .returning(Model.id)
    )
    if inserted.scalar_one_or_none() is not None:
        session.add(ModelFile(model_id=model_id, data=data))
        await session.flush()
    return (await session.execute(select(Model).where(Model.sha256 == digest))).scalar_one()


def _measure_stl(data: bytes, max_triangles: int) -> Measurements:
    return measure(parse_stl(data, max_triangles=max_triangles))


async def get_model(session: AsyncSession, model_id: uuid.UUID) -> Model:
    model = await session.get(Model, model_id)
    if model is None:
        raise NotFound(f"There is no model {model_id}; upload it with POST /api/v1/models.")
    return model


async def check_items(session: AsyncSession, catalog: Catalog, items: Sequence[Item]) -> None:
    """Refuse, before any saga starts, items whose material, process or model is unknown."""
    errors = []
    for index, item in enumerate(items):
        error = _catalog_error(catalog, item)
        if error:
            errors.append({"pointer": f"/items/{index}", "detail": error})
        if item.model_id is not None and await session.get(Model, item.model_id) is None:
            errors.append({"pointer": f"/items/{index}/model_id", "detail": "unknown model"})
    if errors:
        summary = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors[:5])
        raise Unprocessable(
            f"Some items cannot be made: {summary}.",
            type="validation-error",
            title="Invalid request",
            errors=errors,
        )


def _catalog_error(catalog: Catalog, item: Item) -> str | None:
    try:
        process = catalog.process(item.process)
    except KeyError:
        known = ", ".join(p.id for p in catalog.processes)
        return f"unknown process {item.process!r} (choose one of {known})"
    if item.material not in process.materials:
        return (
            f"material {item.material!r} is not available for {process.id} "
            f"(choose one of {', '.join(process.materials)})"
        )
    if item.finish not in process.finishes:
        return f"finish {item.finish!r} is not offered for {process.id}"
    return None
