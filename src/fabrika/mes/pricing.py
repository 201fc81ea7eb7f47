"""Quotes: what each line of parts costs and how long it keeps a machine busy. Pure.

Every rate comes from the catalog (see catalog.toml for the formulas in one place):
print hours per part = volume / deposition rate + layers × seconds per layer, on the
cheapest machine the part fits in (any axis-aligned orientation, lying as low as it fits);
setup once per line. Costs per part are material (with the process's waste), machine time
and finishing; the margin is added on top; the quantity break discounts the parts, not the
setup. Money is rounded half-up to cents at each step, so the breakdown adds up exactly.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from fabrika.mes.catalog import Catalog, Finish, Machine, Material, Process, QuantityBreak
from fabrika.mes.geometry import Measurements, fits, fitting_orientations


class QuoteRefused(Exception):
    """An item we cannot make as asked; str() tells the customer what to change.

    `code` is one of: unknown_process, unknown_material, material_not_for_process,
    unknown_finish, finish_not_for_process, bad_quantity, bad_dimensions, no_machine_fits.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, kw_only=True)
class ItemSpec:
    """One line of an order: how many of which part, in what material, process and finish."""

    material: str
    process: str
    quantity: int
    finish: str = "none"
    measurements: Measurements
    # Space under the part's overhangs in its best orientation (0 when only dimensions are
    # known); the process's support_fill says how much of it support structures fill.
    support_volume_mm3: float = 0.0

    def printed_volume_mm3(self, process: Process) -> float:
        return self.measurements.volume_mm3 + self.support_volume_mm3 * process.support_fill


def measurements_from_dimensions(x: float, y: float, z: float) -> Measurements:
    """Measurements for an item given by outer dimensions instead of a model.

    It is priced as a solid box of that size: the most material those dimensions can hold,
    so a quote without a model never charges less than the part will cost.
    """
    if min(x, y, z) <= 0:
        raise QuoteRefused(
            "bad_dimensions", f"The dimensions {_mm((x, y, z))} mm must all be above zero."
        )
    return Measurements(
        triangles=12, volume_mm3=x * y * z, area_mm2=2 * (x * y + y * z + z * x), bbox_mm=(x, y, z)
    )


@dataclass(frozen=True)
class LineQuote:
    """One line's price. The *_cost fields are our costs, unit_price the customer's price per
    part (margin included), `discount` the quantity-break fraction; `breakdown` holds the
    labelled amounts that add up to line_total."""

    machine_id: str
    print_hours_per_part: float
    material_cost_per_part: float
    machine_cost_per_part: float
    finish_cost_per_part: float
    setup_cost: float
    unit_price: float
    quantity: int
    discount: float
    line_total: float
    production_hours: float
    breakdown: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Quote:
    """An order's price and the machine hours it needs."""

    lines: tuple[LineQuote, ...]
    total: float
    currency: str
    production_hours: float


@dataclass(frozen=True)
class _Run:
    """Printing one part on one machine."""

    machine: Machine
    print_hours: float


def _cents(amount: float) -> float:
    # Half-up on the decimal value people read, not half-even on the binary float.
    return float(Decimal(repr(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _mm(sizes: Sequence[float]) -> str:
    return " × ".join(f"{round(size, 1):g}" for size in sizes)


def _resolve(catalog: Catalog, item: ItemSpec) -> tuple[Process, Material, Finish]:
    try:
        process = catalog.process(item.process)
    except KeyError:
        known = ", ".join(p.id for p in catalog.processes)
        raise QuoteRefused(
            "unknown_process", f"We offer no process {item.process!r}; choose one of: {known}."
        ) from None
    try:
        material = catalog.material(item.material)
    except KeyError:
        raise QuoteRefused(
            "unknown_material",
            f"We offer no material {item.material!r}; for {process.name} choose one of: "
            f"{', '.join(process.materials)}.",
        ) from None
    if material.id not in process.materials:
        raise QuoteRefused(
            "material_not_for_process",
            f"{process.name} cannot print {material.name} ({material.id}); choose one of: "
            f"{', '.join(process.materials)}, or a process that prints {material.name}.",
        )
    return process, material, _resolve_finish(catalog, process, item.finish)


def _resolve_finish(catalog: Catalog, process: Process, finish_id: str) -> Finish:
    try:
        finish = catalog.finish(finish_id)
    except KeyError:
        raise QuoteRefused(
            "unknown_finish",
            f"We offer no finish {finish_id!r}; for {process.name} choose one of: "
            f"{', '.join(process.finishes)}.",
        ) from None
    if finish.id not in process.finishes:
        raise QuoteRefused(
            "finish_not_for_process",
            f"{finish.name} is not offered for {process.name} parts; choose one of: "
            f"{', '.join(process.finishes)}.",
        )
    return finish


def _print_hours(process: Process, volume_mm3: float, height_mm: float) -> float:
    # A partial layer still takes a whole layer; rounding first keeps 20 / 0.2 at 100.
    layers = math.ceil(round(height_mm / process.layer_height_mm, 6))
    return volume_mm3 / 1000 / process.deposition_cm3_per_h + layers * process.layer_seconds / 3600


def _runs(process: Process, item: ItemSpec) -> list[_Run]:
    runs = []
    for machine in process.machines:
        placements = fitting_orientations(item.measurements.bbox_mm, machine.build_volume_mm)
        if placements:
            # Lying as low as it fits: fewest layers, shortest print.
            height = min(placement[2] for placement in placements)
            hours = _print_hours(process, item.printed_volume_mm3(process), height)
            runs.append(_Run(machine, hours))
    return runs


def _cheapest_run(catalog: Catalog, process: Process, item: ItemSpec) -> _Run:
    runs = _runs(process, item)
    if not runs:
        raise _too_large(catalog, process, item.measurements)
    setup_hours = process.setup_minutes / 60
    # Cheapest for the whole line, setup included, as the customer pays for both.
    return min(
        runs,
        key=lambda run: (run.print_hours * item.quantity + setup_hours) * run.machine.hourly_rate,
    )


def _too_large(catalog: Catalog, process: Process, measurements: Measurements) -> QuoteRefused:
    largest = max(process.machines, key=lambda machine: math.prod(machine.build_volume_mm))
    others = [
        other.name
        for other in catalog.processes
        if other.id != process.id
        and any(fits(measurements.bbox_mm, m.build_volume_mm) for m in other.machines)
    ]
    advice = (
        f"Choose {' or '.join(others)}, or split the model."
        if others
        else "No process we offer makes it in one piece; split the model."
    )
    return QuoteRefused(
        "no_machine_fits",
        f"The part measures {_mm(measurements.bbox_mm)} mm, too large for every {process.name} "
        f"machine (the largest takes {_mm(largest.build_volume_mm)} mm). {advice}",
    )


def _quantity_break(catalog: Catalog, quantity: int) -> QuantityBreak | None:
    reached = [b for b in catalog.quantity_breaks if b.min_quantity <= quantity]
    return max(reached, key=lambda b: b.min_quantity, default=None)


def quote_item(catalog: Catalog, item: ItemSpec) -> LineQuote:
    """Price one line on the cheapest machine that fits the part; raise QuoteRefused if none."""
    process, material, finish = _resolve(catalog, item)
    if item.quantity < 1:
        raise QuoteRefused(
            "bad_quantity", f"The quantity is {item.quantity}; order at least one part."
        )
    run = _cheapest_run(catalog, process, item)
    measurements = item.measurements
    material_grams = item.printed_volume_mm3(process) / 1000 * material.density_g_cm3
    material_cost = _cents(
        material_grams * (1 + process.waste_factor) * material.price_per_kg / 1000
    )
    machine_cost = _cents(run.print_hours * run.machine.hourly_rate)
    finish_cost = _cents(measurements.area_mm2 / 100 * finish.price_per_cm2 + finish.price_per_part)
    setup_cost = _cents(process.setup_minutes / 60 * run.machine.hourly_rate)
    part_costs = [
        (f"Material: {material_grams:,.1f} g of {material.name} per part", material_cost),
        (f"Machine: {run.print_hours:.2f} h on {run.machine.name} per part", machine_cost),
        (f"Finish: {finish.name} per part", finish_cost),
    ]
    return _priced_line(catalog, item.quantity, part_costs, setup_cost, run, process)


def _priced_line(
    catalog: Catalog,
    quantity: int,
    part_costs: list[tuple[str, float]],
    setup_cost: float,
    run: _Run,
    process: Process,
) -> LineQuote:
    cost_per_part = sum(cost for _, cost in part_costs)
    unit_price = _cents(cost_per_part * (1 + catalog.margin))
    setup_price = _cents(setup_cost * (1 + catalog.margin))
    quantity_break = _quantity_break(catalog, quantity)
    discount = quantity_break.discount if quantity_break else 0.0
    discount_amount = _cents(unit_price * quantity * discount)
    line_total = _cents(unit_price * quantity + setup_price - discount_amount)
    margin_amount = _cents(line_total + discount_amount - cost_per_part * quantity - setup_cost)
    breakdown = [(f"{label} × {quantity}", _cents(cost * quantity)) for label, cost in part_costs]
    breakdown += [
        (f"Setup: {process.setup_minutes:g} min on {run.machine.name}", setup_cost),
        (f"Margin: {catalog.margin:.0%}", margin_amount),
    ]
    if quantity_break:
        label = f"Quantity discount: {discount:.0%} from {quantity_break.min_quantity} parts"
        breakdown.append((label, -discount_amount))
    return LineQuote(
        machine_id=run.machine.id,
        print_hours_per_part=run.print_hours,
        material_cost_per_part=part_costs[0][1],
        machine_cost_per_part=part_costs[1][1],
        finish_cost_per_part=part_costs[2][1],
        setup_cost=setup_cost,
        unit_price=unit_price,
        quantity=quantity,
        discount=discount,
        line_total=line_total,
        production_hours=run.print_hours * quantity + process.setup_minutes / 60,
        breakdown=tuple((label, amount) for label, amount in breakdown if amount != 0),
    )


def quote_order(catalog: Catalog, items: Sequence[ItemSpec]) -> Quote:
    """Price every line of an order; a refused line refuses the order, naming the item."""
    if not items:
        raise QuoteRefused("bad_quantity", "The order has no items; add at least one part.")
    lines = []
    for index, item in enumerate(items):
        try:
            lines.append(quote_item(catalog, item))
        except QuoteRefused as exc:
            if len(items) == 1:
                raise
            raise QuoteRefused(exc.code, f"Item {index + 1}: {exc}") from exc
    return Quote(
        lines=tuple(lines),
        total=_cents(sum(line.line_total for line in lines)),
        currency=catalog.currency,
        production_hours=sum(line.production_hours for line in lines),
    )
