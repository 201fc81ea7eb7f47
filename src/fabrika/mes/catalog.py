"""The catalog: materials, processes and their machines, finishes, quantity breaks, margin.

Configuration is data: every number pricing uses lives here, read from a TOML file and
stored as a JSON document per catalog version.
"""

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

DEMO_CATALOG_PATH = Path(__file__).with_name("catalog.toml")


class CatalogError(ValueError):
    """A catalog document that pricing cannot rely on; the message names the bad entry."""


@dataclass(frozen=True)
class Material:
    id: str
    name: str
    density_g_cm3: float
    price_per_kg: float


@dataclass(frozen=True)
class Machine:
    id: str
    name: str
    build_volume_mm: tuple[float, float, float]
    hourly_rate: float


@dataclass(frozen=True)
class Process:
    """A way of printing, with its speed model and the machines that run it.

    `layer_seconds` is the time each layer adds to a part; `waste_factor` the material used
    beyond the model itself (0.15 = 15 % more), for supports, purge or spent powder.
    """

    id: str
    name: str
    materials: tuple[str, ...]
    layer_height_mm: float
    deposition_cm3_per_h: float
    setup_minutes: float
    layer_seconds: float
    waste_factor: float
    machines: tuple[Machine, ...]
    finishes: tuple[str, ...]
    # The share of the space under overhangs that support structures fill (0 for powder beds).
    support_fill: float = 0.0


@dataclass(frozen=True)
class Finish:
    id: str
    name: str
    price_per_cm2: float
    price_per_part: float


@dataclass(frozen=True)
class QuantityBreak:
    """From `min_quantity` parts on, the parts cost `discount` (a fraction) less."""

    min_quantity: int
    discount: float


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_Entry = TypeVar("_Entry", bound=_Identified)


def _find(entries: Iterable[_Entry], entry_id: str, kind: str) -> _Entry:
    for entry in entries:
        if entry.id == entry_id:
            return entry
    raise KeyError(f"unknown {kind} {entry_id!r}")


@dataclass(frozen=True)
class Catalog:
    """One version of the catalog; `margin` is the fraction added on top of cost."""

    currency: str
    materials: tuple[Material, ...]
    processes: tuple[Process, ...]
    finishes: tuple[Finish, ...]
    quantity_breaks: tuple[QuantityBreak, ...]
    margin: float

    def material(self, material_id: str) -> Material:
        return _find(self.materials, material_id, "material")

    def process(self, process_id: str) -> Process:
        return _find(self.processes, process_id, "process")

    def finish(self, finish_id: str) -> Finish:
        return _find(self.finishes, finish_id, "finish")


def load_catalog(path: Path) -> Catalog:
    """Read and check a catalog TOML file."""
    with path.open("rb") as file:
        return catalog_from_dict(tomllib.load(file))


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return value


def catalog_to_dict(catalog: Catalog) -> dict[str, Any]:
    """The catalog as plain JSON types (lists, not tuples); catalog_from_dict reverses it."""
    return _json_ready(asdict(catalog))


def _material(entry: Mapping[str, Any]) -> Material:
    return Material(
        id=str(entry["id"]),
        name=str(entry["name"]),
        density_g_cm3=float(entry["density_g_cm3"]),
        price_per_kg=float(entry["price_per_kg"]),
    )


def _machine(entry: Mapping[str, Any]) -> Machine:
    x, y, z = (float(size) for size in entry["build_volume_mm"])
    return Machine(
        id=str(entry["id"]),
        name=str(entry["name"]),
        build_volume_mm=(x, y, z),
        hourly_rate=float(entry["hourly_rate"]),
    )


def _process(entry: Mapping[str, Any]) -> Process:
    return Process(
        id=str(entry["id"]),
        name=str(entry["name"]),
        materials=tuple(str(m) for m in entry["materials"]),
        layer_height_mm=float(entry["layer_height_mm"]),
        deposition_cm3_per_h=float(entry["deposition_cm3_per_h"]),
        setup_minutes=float(entry["setup_minutes"]),
        layer_seconds=float(entry["layer_seconds"]),
        waste_factor=float(entry["waste_factor"]),
        support_fill=float(entry.get("support_fill", 0.0)),
        machines=tuple(_machine(m) for m in entry["machines"]),
        finishes=tuple(str(f) for f in entry["finishes"]),
    )


def _finish(entry: Mapping[str, Any]) -> Finish:
    return Finish(
        id=str(entry["id"]),
        name=str(entry["name"]),
        price_per_cm2=float(entry["price_per_cm2"]),
        price_per_part=float(entry["price_per_part"]),
    )


def _quantity_break(entry: Mapping[str, Any]) -> QuantityBreak:
    return QuantityBreak(min_quantity=int(entry["min_quantity"]), discount=float(entry["discount"]))


def catalog_from_dict(document: Mapping[str, Any]) -> Catalog:
    """Build a catalog from its TOML or JSON form; raise CatalogError if it is inconsistent."""
    try:
        catalog = Catalog(
            currency=str(document["currency"]),
            materials=tuple(_material(m) for m in document["materials"]),
            processes=tuple(_process(p) for p in document["processes"]),
            finishes=tuple(_finish(f) for f in document["finishes"]),
            quantity_breaks=tuple(
                sorted(
                    (_quantity_break(b) for b in document.get("quantity_breaks", ())),
                    key=lambda b: b.min_quantity,
                )
            ),
            margin=float(document["margin"]),
        )
    except KeyError as exc:
        raise CatalogError(f"The catalog lacks the field {exc.args[0]!r}.") from exc
    _check(catalog)
    return catalog


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
