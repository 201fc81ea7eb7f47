"""The catalog as the shop's pages show it: what can be made, named in the page's language.

The MES owns the catalog; pages read it through the internal entry and keep it a few
seconds (prices on a page are informative: the quote prices an order). Names come from
the catalog's data; a message `names.<kind>.<id>` translates one where a language needs it.
"""

from collections.abc import Iterable

from cachetools import TTLCache
from pydantic import JsonValue

from fabrika.contracts.catalog import Finish, Material, Process, PublishedCatalog
from fabrika.mes.client import MesClient
from fabrika.shop.locale import Messages

KEPT: TTLCache[str, PublishedCatalog] = TTLCache(maxsize=1, ttl=5)
CatalogView = dict[str, JsonValue]


async def current_catalog(mes: MesClient) -> PublishedCatalog:
    """The MES's current catalog, read at most every few seconds per process."""
    catalog = KEPT.get("catalog")
    if catalog is None:
        catalog = await mes.catalog()
        KEPT["catalog"] = catalog
    return catalog


def _name(messages: Messages, kind: str, entry: Material | Process | Finish) -> str:
    return messages.get(f"names.{kind}.{entry.id}") or entry.name


def name_of(catalog: PublishedCatalog, messages: Messages, kind: str, entry_id: str) -> str:
    """A material's, process's or finish's name in the page's language; its id if the
    catalog no longer has it."""
    entries: Iterable[Material | Process | Finish] = (
        catalog.materials
        if kind == "material"
        else catalog.processes
        if kind == "process"
        else catalog.finishes
    )
    entry = next((e for e in entries if e.id == entry_id), None)
    return _name(messages, kind, entry) if entry else entry_id


def _process(process: Process, messages: Messages) -> CatalogView:
    machines: list[JsonValue] = [
        {"id": m.id, "name": m.name, "build_volume_mm": list(m.build_volume_mm)}
        for m in process.machines
    ]
    largest = max(process.machines, key=lambda m: m.build_volume_mm[0] * m.build_volume_mm[1])
    return {
        "id": process.id,
        "name": _name(messages, "process", process),
        "materials": list(process.materials),
        "finishes": list(process.finishes),
        "layer_height_mm": process.layer_height_mm,
        "machines": machines,
        "plate_mm": list(largest.build_volume_mm[:2]),
    }


def catalog_view(catalog: PublishedCatalog, messages: Messages) -> CatalogView:
    """The catalog for a page and its script: every name in the page's language, materials
    and finishes by id, each process with its machines' build volumes (to tell whether a
    part fits) and its largest build plate (the preview's grid)."""
    materials: dict[str, JsonValue] = {
        m.id: {**m.model_dump(mode="json"), "name": _name(messages, "material", m)}
        for m in catalog.materials
    }
    finishes: dict[str, JsonValue] = {
        f.id: {**f.model_dump(mode="json"), "name": _name(messages, "finish", f)}
        for f in catalog.finishes
    }
    return {
        "currency": catalog.currency,
        "processes": [_process(process, messages) for process in catalog.processes],
        "materials": materials,
        "finishes": finishes,
        "quantity_breaks": [b.model_dump(mode="json") for b in catalog.quantity_breaks],
    }
