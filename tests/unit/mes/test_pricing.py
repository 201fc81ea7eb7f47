import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabrika.mes.catalog import DEMO_CATALOG_PATH, Catalog, Finish, Machine, Process, load_catalog
from fabrika.mes.geometry import box_mesh, measure
from fabrika.mes.pricing import (
    ItemSpec,
    LineQuote,
    QuoteRefused,
    measurements_from_dimensions,
    quote_item,
    quote_order,
)

CATALOG = load_catalog(DEMO_CATALOG_PATH)
CENT = 0.01  # money is rounded to cents, so computed amounts agree within one
FDM, SLA = CATALOG.process("fdm"), CATALOG.process("sla")
PLA = CATALOG.material("pla")
CHOICES = [
    (process.id, material, finish)
    for process in CATALOG.processes
    for material in process.materials
    for finish in process.finishes
]


def item(
    dimensions: tuple[float, float, float] = (40, 30, 20),
    *,
    material: str = "pla",
    process: str = "fdm",
    quantity: int = 1,
    finish: str = "none",
) -> ItemSpec:
    return ItemSpec(
        material=material,
        process=process,
        quantity=quantity,
        finish=finish,
        measurements=measurements_from_dimensions(*dimensions),
    )


def with_process(process: Process) -> Catalog:
    """The demo catalog with one process replaced (matched by id)."""
    processes = tuple(process if p.id == process.id else p for p in CATALOG.processes)
    return CATALOG.model_copy(update={"processes": processes})


def with_finish(finish: Finish) -> Catalog:
    """The demo catalog with one finish replaced (matched by id)."""
    finishes = tuple(finish if f.id == finish.id else f for f in CATALOG.finishes)
    return CATALOG.model_copy(update={"finishes": finishes})


def refusal(spec: ItemSpec, catalog: Catalog = CATALOG) -> QuoteRefused:
    with pytest.raises(QuoteRefused) as caught:
        quote_item(catalog, spec)
    return caught.value


def test_dimensions_are_measured_as_a_solid_box() -> None:
    measurements = measurements_from_dimensions(40, 30, 20)
    assert (measurements.volume_mm3, measurements.area_mm2) == (24_000, 5_200)


def test_dimensions_are_measured_as_the_model_of_that_box_would_be() -> None:
    assert measurements_from_dimensions(40, 30, 20) == measure(box_mesh(40, 30, 20))


def test_print_hours_are_volume_over_deposition_plus_time_per_layer() -> None:
    layers = round(20 / FDM.layer_height_mm)
    expected = 24 / FDM.deposition_cm3_per_h + layers * FDM.layer_seconds / 3600
    assert quote_item(CATALOG, item()).print_hours_per_part == pytest.approx(expected)


def test_a_tall_part_is_laid_down_to_print_in_fewer_layers() -> None:
    layers = round(10 / FDM.layer_height_mm)
    expected = 20 / FDM.deposition_cm3_per_h + layers * FDM.layer_seconds / 3600
    line = quote_item(CATALOG, item((10, 10, 200)))
    assert line.print_hours_per_part == pytest.approx(expected)


def test_material_cost_is_volume_times_density_with_waste_at_the_kilo_price() -> None:
    grams = 24 * PLA.density_g_cm3 * (1 + FDM.waste_factor)
    expected = grams * PLA.price_per_kg / 1000
    assert quote_item(CATALOG, item()).material_cost_per_part == pytest.approx(expected, abs=CENT)


def test_machine_cost_is_print_hours_at_the_machine_rate() -> None:
    line = quote_item(CATALOG, item())
    rate = FDM.machines[0].hourly_rate
    assert line.machine_cost_per_part == pytest.approx(line.print_hours_per_part * rate, abs=CENT)


def test_finish_cost_is_surface_at_the_area_rate_plus_a_price_per_part() -> None:
    painting = CATALOG.finish("painting")
    expected = 52 * painting.price_per_cm2 + painting.price_per_part
    line = quote_item(CATALOG, item(finish="painting"))
    assert line.finish_cost_per_part == pytest.approx(expected, abs=CENT)


def test_setup_cost_is_the_setup_time_at_the_machine_rate() -> None:
    expected = FDM.setup_minutes / 60 * FDM.machines[0].hourly_rate
    assert quote_item(CATALOG, item()).setup_cost == pytest.approx(expected, abs=CENT)


def test_the_unit_price_adds_the_margin_to_the_part_costs() -> None:
    line = quote_item(CATALOG, item(finish="sanding"))
    costs = line.material_cost_per_part + line.machine_cost_per_part + line.finish_cost_per_part
    assert line.unit_price == pytest.approx(costs * (1 + CATALOG.margin), abs=CENT)


def test_setup_is_charged_once_per_line_not_per_part() -> None:
    one, two = (quote_item(CATALOG, item(quantity=q)) for q in (1, 2))
    assert round(two.line_total - one.line_total, 2) == one.unit_price


def test_below_the_first_quantity_break_there_is_no_discount() -> None:
    quantity = CATALOG.quantity_breaks[0].min_quantity - 1
    assert quote_item(CATALOG, item(quantity=quantity)).discount == 0


@pytest.mark.parametrize("reached", CATALOG.quantity_breaks, ids=lambda b: str(b.min_quantity))
def test_a_quantity_break_applies_from_its_minimum_quantity(reached) -> None:
    line = quote_item(CATALOG, item(quantity=reached.min_quantity))
    assert line.discount == reached.discount


def test_the_largest_quantity_break_reached_applies() -> None:
    largest = CATALOG.quantity_breaks[-1]
    line = quote_item(CATALOG, item(quantity=largest.min_quantity * 5))
    assert line.discount == largest.discount


def test_the_quantity_discount_reduces_the_parts_not_the_setup() -> None:
    quantity = CATALOG.quantity_breaks[0].min_quantity
    line = quote_item(CATALOG, item(quantity=quantity))
    setup_price = line.setup_cost * (1 + CATALOG.margin)
    expected = line.unit_price * quantity * (1 - line.discount) + setup_price
    assert line.line_total == pytest.approx(expected, abs=2 * CENT)


def test_the_cheapest_machine_that_fits_is_chosen() -> None:
    cheapest = min(FDM.machines, key=lambda machine: machine.hourly_rate)
    assert quote_item(CATALOG, item()).machine_id == cheapest.id


def test_a_part_too_large_for_the_cheaper_machine_goes_to_the_larger_one() -> None:
    assert quote_item(CATALOG, item((300, 300, 300))).machine_id == "fdm-xl-1"


def test_a_part_that_fits_only_rotated_is_quoted_on_the_machine_it_fits() -> None:
    spec = item((210, 100, 200), material="standard-resin", process="sla")
    assert quote_item(CATALOG, spec).machine_id == "sla-form4-1"


def test_an_unknown_process_is_refused() -> None:
    assert refusal(item(process="dmls")).code == "unknown_process"


def test_an_unknown_material_is_refused() -> None:
    assert refusal(item(material="unobtainium")).code == "unknown_material"


def test_a_material_the_process_cannot_print_is_refused() -> None:
    error = refusal(item(material="pa12", process="fdm"))
    assert error.code == "material_not_for_process"
    assert "pla, petg, abs" in str(error)


def test_an_unknown_finish_is_refused() -> None:
    assert refusal(item(finish="gold-plating")).code == "unknown_finish"


def test_a_finish_the_process_does_not_offer_is_refused() -> None:
    spec = item(material="standard-resin", process="sla", finish="vapour-smoothing")
    assert refusal(spec).code == "finish_not_for_process"


def test_a_quantity_below_one_is_refused() -> None:
    assert refusal(item(quantity=0)).code == "bad_quantity"


def test_a_part_larger_than_every_machine_of_its_process_is_refused_with_advice() -> None:
    error = refusal(item((300, 300, 400), material="standard-resin", process="sla"))
    assert error.code == "no_machine_fits"
    assert "300 × 300 × 400 mm, too large for every SLA machine" in str(error)
    assert "the largest takes 200 × 125 × 210 mm" in str(error)
    assert "Choose SLS" in str(error)


def test_a_part_no_process_can_make_is_told_to_split_the_model() -> None:
    error = refusal(item((900, 900, 900)))
    assert error.code == "no_machine_fits"
    assert str(error).endswith(
        "350 × 350 × 350 mm). No process we offer makes it in one piece; split the model."
    )


def money(line: LineQuote) -> list[float]:
    return [
        line.material_cost_per_part,
        line.machine_cost_per_part,
        line.finish_cost_per_part,
        line.setup_cost,
        line.unit_price,
        line.line_total,
        *(amount for _, amount in line.breakdown),
    ]


line_specs = st.builds(
    lambda choice, dimensions, quantity: item(
        dimensions, process=choice[0], material=choice[1], finish=choice[2], quantity=quantity
    ),
    st.sampled_from(CHOICES),
    st.tuples(*[st.floats(1, 140)] * 3),
    st.integers(1, 1000),
)


@settings(deadline=None, max_examples=100)
@given(spec=line_specs)
def test_the_breakdown_adds_up_to_the_line_total(spec: ItemSpec) -> None:
    line = quote_item(CATALOG, spec)
    assert round(sum(amount for _, amount in line.breakdown), 2) == line.line_total


@settings(deadline=None, max_examples=100)
@given(spec=line_specs)
def test_money_is_rounded_to_cents(spec: ItemSpec) -> None:
    assert all(round(amount, 2) == amount for amount in money(quote_item(CATALOG, spec)))


def test_prices_follow_the_catalog() -> None:
    dearer_pla = PLA.model_copy(update={"price_per_kg": PLA.price_per_kg * 2})
    materials = tuple(dearer_pla if m.id == "pla" else m for m in CATALOG.materials)
    dearer = CATALOG.model_copy(update={"materials": materials})
    big = item((100, 100, 100))
    before, after = (quote_item(c, big).material_cost_per_part for c in (CATALOG, dearer))
    assert after == pytest.approx(before * 2, abs=CENT)


def test_the_order_total_is_the_sum_of_its_lines() -> None:
    quote = quote_order(CATALOG, [item(), item(quantity=12, finish="painting")])
    assert quote.total == round(sum(line.line_total for line in quote.lines), 2)


def test_the_order_needs_the_machine_hours_of_all_its_lines() -> None:
    quote = quote_order(CATALOG, [item(), item(quantity=3)])
    assert quote.production_hours == pytest.approx(sum(ln.production_hours for ln in quote.lines))


def test_a_line_keeps_the_machine_for_its_parts_and_one_setup() -> None:
    line = quote_item(CATALOG, item(quantity=3))
    expected = 3 * line.print_hours_per_part + FDM.setup_minutes / 60
    assert line.production_hours == pytest.approx(expected)


def test_the_quote_is_in_the_catalog_currency() -> None:
    assert quote_order(CATALOG, [item()]).currency == CATALOG.currency


def test_a_refused_line_in_a_larger_order_names_the_item() -> None:
    with pytest.raises(QuoteRefused, match=r"^Item 2: ") as caught:
        quote_order(CATALOG, [item(), item(quantity=0)])
    assert caught.value.code == "bad_quantity"


def test_an_order_without_items_is_refused() -> None:
    with pytest.raises(QuoteRefused) as caught:
        quote_order(CATALOG, [])
    assert caught.value.code == "bad_quantity"


def test_a_partial_layer_takes_a_whole_layer() -> None:
    # 20.05 mm at 0.2 mm a layer is 100.25 layers: 101 are printed.
    expected = 40 * 30 * 20.05 / 1000 / FDM.deposition_cm3_per_h + 101 * FDM.layer_seconds / 3600
    line = quote_item(CATALOG, item((40, 30, 20.05)))
    assert line.print_hours_per_part == pytest.approx(expected, rel=1e-9)


def test_a_height_of_whole_layers_is_not_rounded_up_by_float_division() -> None:
    # 2.1 / 0.3 is 7.000000000000001 in floating point; the part still has 7 layers.
    catalog = with_process(FDM.model_copy(update={"layer_height_mm": 0.3}))
    expected = 40 * 30 * 2.1 / 1000 / FDM.deposition_cm3_per_h + 7 * FDM.layer_seconds / 3600
    line = quote_item(catalog, item((40, 30, 2.1)))
    assert line.print_hours_per_part == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("price", "charged"), [(0.125, 0.13), (2.675, 2.68)])
def test_money_is_rounded_half_up_to_cents_as_written(price: float, charged: float) -> None:
    # 0.125 would round to even (0.12); 2.675 is stored as 2.67499… and would round down.
    flat_fee = Finish(id="sanding", name="Sanding", price_per_cm2=0.0, price_per_part=price)
    line = quote_item(with_finish(flat_fee), item(finish="sanding"))
    assert line.finish_cost_per_part == charged


# A process with an hour of setup whose cheaper machine (100/h) takes the part only standing
# up, 119 layers of 36 s: 1.19 h a part; the dearer one (200/h) takes it lying down, 10
# layers: 0.1 h. Volume prints in no time. Setup makes the cheaper machine win a short run.
CHOICE_OF_MACHINES = with_process(
    FDM.model_copy(
        update={
            "layer_height_mm": 1.0,
            "layer_seconds": 36.0,
            "deposition_cm3_per_h": 1e6,
            "setup_minutes": 60.0,
            "machines": (
                Machine(id="tall", name="Tall", build_volume_mm=(20, 20, 130), hourly_rate=100),
                Machine(id="flat", name="Flat", build_volume_mm=(130, 20, 20), hourly_rate=200),
            ),
        }
    )
)
STANDING_PART = (10, 10, 119)


def test_for_one_part_the_setup_cost_decides_the_machine() -> None:
    # tall: (1.19 h + 1 h setup) × 100/h = 219; flat: (0.1 h + 1 h) × 200/h = 220.
    assert quote_item(CHOICE_OF_MACHINES, item(STANDING_PART)).machine_id == "tall"


def test_for_many_parts_the_print_time_decides_the_machine() -> None:
    # tall: (20 × 1.19 h + 1 h) × 100/h = 2,480; flat: (20 × 0.1 h + 1 h) × 200/h = 600.
    line = quote_item(CHOICE_OF_MACHINES, item(STANDING_PART, quantity=20))
    assert line.machine_id == "flat"


def test_support_material_is_printed_and_paid_for() -> None:
    # FDM supports fill 15 % of the 10 cm³ under the overhangs: 25.5 cm³ are printed.
    supported = ItemSpec(
        material="pla",
        process="fdm",
        quantity=1,
        measurements=measurements_from_dimensions(40, 30, 20),
        support_volume_mm3=10_000,
    )
    printed_cm3 = 24 + 10 * FDM.support_fill
    material = printed_cm3 * PLA.density_g_cm3 * (1 + FDM.waste_factor) * PLA.price_per_kg / 1000
    hours = printed_cm3 / FDM.deposition_cm3_per_h + 100 * FDM.layer_seconds / 3600
    line = quote_item(CATALOG, supported)
    assert line.material_cost_per_part == pytest.approx(material, abs=CENT / 2)
    assert line.print_hours_per_part == pytest.approx(hours, rel=1e-9)


@pytest.mark.parametrize("dimensions", [(0, 10, 10), (10, 0, 10), (10, 10, 0), (10, -1, 10)])
def test_a_dimension_of_zero_or_less_on_any_axis_is_refused(
    dimensions: tuple[float, float, float],
) -> None:
    with pytest.raises(QuoteRefused, match="must all be above zero") as caught:
        measurements_from_dimensions(*dimensions)
    assert caught.value.code == "bad_dimensions"


def test_a_refused_dimension_is_shown_to_the_customer_as_given() -> None:
    with pytest.raises(QuoteRefused) as caught:
        measurements_from_dimensions(12.5, 0, 40)
    assert str(caught.value) == "The dimensions 12.5 × 0 × 40 mm must all be above zero."


def test_a_part_thinner_than_a_millimetre_is_measured() -> None:
    assert measurements_from_dimensions(0.5, 10, 10).volume_mm3 == 50


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (item(process="dmls"), "We offer no process 'dmls'; choose one of: fdm, sla, sls."),
        (
            item(material="unobtainium"),
            "We offer no material 'unobtainium'; for FDM choose one of: pla, petg, abs.",
        ),
        (
            item(material="pa12"),
            "FDM cannot print PA12 nylon (pa12); choose one of: pla, petg, abs, "
            "or a process that prints PA12 nylon.",
        ),
        (
            item(finish="gold-plating"),
            "We offer no finish 'gold-plating'; for FDM choose one of: "
            "none, sanding, painting, vapour-smoothing.",
        ),
        (
            item(material="standard-resin", process="sla", finish="vapour-smoothing"),
            "Vapour smoothing is not offered for SLA parts; "
            "choose one of: none, sanding, painting.",
        ),
        (item(quantity=0), "The quantity is 0; order at least one part."),
    ],
    ids=["process", "material", "material-for-process", "finish", "finish-for-process", "qty"],
)
def test_a_refusal_tells_the_customer_what_to_choose_instead(spec: ItemSpec, message: str) -> None:
    assert str(refusal(spec)) == message


def test_a_part_too_large_is_pointed_to_every_process_that_can_make_it() -> None:
    error = refusal(item((300, 300, 300), material="standard-resin", process="sla"))
    assert str(error).endswith("Choose FDM or SLS, or split the model.")


def test_a_part_too_large_is_pointed_only_to_processes_that_can_make_it() -> None:
    error = refusal(item((360, 340, 340)))
    assert str(error).endswith(
        "(the largest takes 350 × 350 × 350 mm). Choose SLS, or split the model."
    )


def test_sizes_in_a_refusal_are_shown_to_a_tenth_of_a_millimetre() -> None:
    error = refusal(item((12.345, 150, 300.06), material="standard-resin", process="sla"))
    assert "The part measures 12.3 × 150 × 300.1 mm" in str(error)


def test_the_breakdown_shows_each_cost_the_customer_pays_for() -> None:
    # Per part: 29.76 g of PLA = 0.86, 2.08 h at 3.50/h = 7.29; the unit price 8.15 × 1.35 =
    # 11.00; setup 0.88 (1.19 with margin); 10 parts less 5 %: 110 + 1.19 − 5.50 = 105.69.
    line = quote_item(CATALOG, item(quantity=10))
    assert line.breakdown == (
        ("Material: 29.8 g of PLA per part × 10", 8.60),
        ("Machine: 2.08 h on Prusa MK4 per part × 10", 72.90),
        ("Setup: 15 min on Prusa MK4", 0.88),
        ("Margin: 35%", 28.81),
        ("Quantity discount: 5% from 10 parts", -5.50),
    )
    assert line.line_total == 105.69


def test_a_line_says_how_many_parts_it_prices() -> None:
    assert quote_item(CATALOG, item(quantity=7)).quantity == 7


def test_the_breakdown_leaves_out_what_costs_nothing() -> None:
    labels = [label for label, _ in quote_item(CATALOG, item(finish="none")).breakdown]
    assert not any(label.startswith(("Finish", "Quantity discount")) for label in labels)


def test_the_breakdown_names_the_finish() -> None:
    line = quote_item(CATALOG, item(finish="painting", quantity=2))
    finish = CATALOG.finish("painting")
    expected = round(2 * (52 * finish.price_per_cm2 + finish.price_per_part), 2)
    assert ("Finish: Primer and paint per part × 2", expected) in line.breakdown


def test_material_weights_in_the_breakdown_are_grouped_by_thousands() -> None:
    line = quote_item(CATALOG, item((100, 100, 100)))
    assert line.breakdown[0][0] == "Material: 1,240.0 g of PLA per part × 1"


def test_a_refused_single_item_order_gives_the_item_s_own_message() -> None:
    with pytest.raises(QuoteRefused) as caught:
        quote_order(CATALOG, [item(quantity=0)])
    assert str(caught.value) == "The quantity is 0; order at least one part."


def test_a_refused_line_in_a_larger_order_keeps_its_advice() -> None:
    with pytest.raises(QuoteRefused) as caught:
        quote_order(CATALOG, [item(), item(quantity=-2)])
    assert str(caught.value) == "Item 2: The quantity is -2; order at least one part."


def test_an_order_without_items_is_told_to_add_a_part() -> None:
    with pytest.raises(QuoteRefused) as caught:
        quote_order(CATALOG, [])
    assert str(caught.value) == "The order has no items; add at least one part."
