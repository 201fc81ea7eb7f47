"""The catalog: materials, processes and their machines, finishes, quantity breaks, margin.

Configuration is data: every number pricing uses lives here, read from a TOML file and
stored as a JSON document per catalog version.
"""

import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import JsonValue, ValidationError

from fabrika.contracts.catalog import (
    Catalog,
    Finish,
    Machine,
    Material,
    Process,
    QuantityBreak,
)

__all__ = ["Catalog", "CatalogError", "Finish", "Machine", "Material", "Process", "QuantityBreak"]

DEMO_CATALOG_PATH = Path(__file__).with_name("catalog.toml")


class CatalogError(ValueError):
    """A catalog document that pricing cannot rely on; the message names the bad entry."""


def load_catalog(path: Path) -> Catalog:
    """Read and check a catalog TOML file."""
    with path.open("rb") as file:
        return catalog_from_dict(tomllib.load(file))


def catalog_to_dict(catalog: Catalog) -> dict[str, JsonValue]:
    """The catalog as plain JSON types (lists, not tuples); catalog_from_dict reverses it."""
    return catalog.model_dump(mode="json")


def catalog_from_dict(document: Mapping[str, object]) -> Catalog:
    """Build a catalog from its TOML or JSON form; raise CatalogError if it is inconsistent."""
    try:
        catalog = Catalog.model_validate(document)
    except ValidationError as exc:
        raise CatalogError(_first_error(exc)) from exc
    catalog = catalog.model_copy(
        update={
            "quantity_breaks": tuple(sorted(catalog.quantity_breaks, key=lambda b: b.min_quantity))
        }
    )
    _check(catalog)
    return catalog


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return f"The catalog lacks the field {str(error['loc'][-1])!r} (at {where})."
    return f"The catalog's {where} is not valid: {error['msg']}."


def _check(catalog: Catalog) -> None:
    for kind, entries in (
        ("material", catalog.materials),
        ("process", catalog.processes),
        ("finish", catalog.finishes),
    ):
        ids = [entry.id for entry in entries]
        if len(set(ids)) != len(ids):
            raise CatalogError(f"The catalog lists a {kind} id twice: {sorted(ids)}.")
    for process in catalog.processes:
        _check_process(catalog, process)
    for quantity_break in catalog.quantity_breaks:
        if quantity_break.min_quantity < 1 or not 0 <= quantity_break.discount < 1:
            raise CatalogError(
                f"Quantity break {quantity_break} needs min_quantity ≥ 1 and a discount "
                "from 0 up to (not including) 1."
            )
    if catalog.margin < 0:
        raise CatalogError(f"The margin {catalog.margin} is negative.")


def _check_process(catalog: Catalog, process: Process) -> None:
    known_materials = {m.id for m in catalog.materials}
    known_finishes = {f.id for f in catalog.finishes}
    unknown = [m for m in process.materials if m not in known_materials]
    unknown += [f for f in process.finishes if f not in known_finishes]
    if unknown:
        raise CatalogError(f"Process {process.id!r} lists unknown entries: {unknown}.")
    if not process.machines:
        raise CatalogError(f"Process {process.id!r} has no machines.")
    if process.layer_height_mm <= 0 or process.deposition_cm3_per_h <= 0:
        raise CatalogError(
            f"Process {process.id!r} needs a positive layer height and deposition rate."
        )
