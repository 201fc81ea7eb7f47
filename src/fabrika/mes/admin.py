"""Operators' changes to the catalog, reached only through the operators' entry."""

from fastapi import APIRouter
from pydantic import BaseModel, Field, JsonValue

from fabrika.core.errors import NotFound, Unprocessable
from fabrika.mes.catalog import CatalogError, catalog_from_dict
from fabrika.mes.catalog_store import StoreDep

admin = APIRouter(prefix="/api/v1/admin/catalog", tags=["operators"])


class MaterialChange(BaseModel):
    price_per_kg: float | None = Field(None, gt=0, le=100_000)
    density_g_cm3: float | None = Field(None, gt=0, le=30)
    note: str = Field("", max_length=200)


class Published(BaseModel):
    version: int


@admin.put("")
async def replace_catalog(document: dict[str, JsonValue], store: StoreDep) -> Published:
    """Publish a whole new catalog; every reader sees it once this returns. A `version`
    (as GET /api/v1/catalog gives it) is ignored: publishing numbers the new version."""
    document.pop("version", None)
    try:
        catalog = catalog_from_dict(document)
    except CatalogError as exc:
        raise Unprocessable(str(exc), type="catalog-invalid", title="Invalid catalog") from exc
    return Published(version=await store.publish(catalog, note="replaced by an operator"))


@admin.patch("/materials/{material_id}")
async def change_material(material_id: str, change: MaterialChange, store: StoreDep) -> Published:
    """Change a material's price or density; every reader sees it once this returns."""
    _, catalog = await store.current()
    try:
        material = catalog.material(material_id)
    except KeyError as exc:
        raise NotFound(f"There is no material {material_id!r} in the catalog.") from exc
    updates = change.model_dump(exclude_none=True, exclude={"note"})
    changed = material.model_copy(update=updates)
    materials = tuple(changed if m.id == material_id else m for m in catalog.materials)
    note = change.note or f"{material_id}: {updates}"
    new_catalog = catalog.model_copy(update={"materials": materials})
    return Published(version=await store.publish(new_catalog, note=note))
