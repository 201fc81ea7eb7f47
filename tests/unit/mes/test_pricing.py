import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabrika.mes.catalog import DEMO_CATALOG_PATH, Catalog, load_catalog
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


def refusal(spec: ItemSpec, catalog: Catalog = CATALOG) -> QuoteRefused:
    with pytest.raises(QuoteRefused) as caught:
        quote_item(catalog, spec)
    return caught.value


def test_dimensions_are_measured_as_a_solid_box() -> None:
    measurements = measurements_from_dimensions(40, 30, 20)
    assert (measurements.volume_mm3, measurements.area_mm2) == (24_000, 5_200)


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
    assert "split the model" in str(error)


def test_dimensions_of_zero_are_refused() -> None:
    with pytest.raises(QuoteRefused) as caught:
        measurements_from_dimensions(0, 10, 10)
    assert caught.value.code == "bad_dimensions"


def test_the_breakdown_names_the_material_the_machine_and_the_discount() -> None:
    line = quote_item(CATALOG, item(quantity=CATALOG.quantity_breaks[0].min_quantity))
    labels = " | ".join(label for label, _ in line.breakdown)
    for word in ("PLA", "Prusa MK4", "Setup", "Margin", "Quantity discount"):
        assert word in labels


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
