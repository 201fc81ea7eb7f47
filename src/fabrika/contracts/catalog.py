"""The catalog as the MES publishes it and others read it (the shop's pages, say):
materials, processes and their machines, finishes, quantity breaks, margin. Immutable per
version; `fabrika.mes.catalog` reads, checks and stores it."""

from collections.abc import Iterable
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class _Entry(BaseModel):
    # Immutable (a parsed catalog is shared by every quote of its version); a misspelt
    # key is an error, not a silently ignored field whose default is then used.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Material(_Entry):
    id: str
    name: str
    density_g_cm3: float
    price_per_kg: float


class Machine(_Entry):
    id: str
    name: str
    build_volume_mm: tuple[float, float, float]
    hourly_rate: float


class Process(_Entry):
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


class Finish(_Entry):
    id: str
    name: str
    price_per_cm2: float
    price_per_part: float


class QuantityBreak(_Entry):
    """From `min_quantity` parts on, the parts cost `discount` (a fraction) less."""

    min_quantity: int
    discount: float


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


_Found = TypeVar("_Found", bound=_Identified)


def _find(entries: Iterable[_Found], entry_id: str, kind: str) -> _Found:
    for entry in entries:
        if entry.id == entry_id:
            return entry
    raise KeyError(f"unknown {kind} {entry_id!r}")


class Catalog(_Entry):
    """One version of the catalog; `margin` is the fraction added on top of cost."""

    currency: str
    materials: tuple[Material, ...]
    processes: tuple[Process, ...]
    finishes: tuple[Finish, ...]
    quantity_breaks: tuple[QuantityBreak, ...] = Field(default=())
    margin: float
    # How long a quote's price holds for an order that names it.
    quote_validity_days: int = Field(14, ge=1, le=365)

    def material(self, material_id: str) -> Material:
        return _find(self.materials, material_id, "material")

    def process(self, process_id: str) -> Process:
        return _find(self.processes, process_id, "process")

    def finish(self, finish_id: str) -> Finish:
        return _find(self.finishes, finish_id, "finish")


class PublishedCatalog(Catalog):
    """A catalog as GET /api/v1/catalog answers it: with its version."""

    version: int
