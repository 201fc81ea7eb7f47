"""The fast estimate: FDM terms against hand-computed values, how they move, SLA and SLS."""

import itertools
import math
import tomllib
from dataclasses import replace

import pytest

from fabrika.mes.analysis import Orientation
from fabrika.mes.geometry import Measurements
from fabrika.mes.printing import (
    PARAMETERS_PATH,
    FdmParameters,
    PartShape,
    SlaParameters,
    SlsParameters,
    estimate,
    estimate_fdm,
    estimate_sla,
    estimate_sls,
    filament_mm,
    parameter_sets,
    part_shape,
)

# Round numbers, so the expected values below can be worked by hand. The first layer
# prints as fast as the others and nothing waits for cooling unless a test says so.
FDM = FdmParameters(
    layer_height_mm=0.2,
    line_width_mm=0.4,
    wall_count=2,
    top_layers=4,
    bottom_layers=4,
    infill_density=0.2,
    infill_pattern_factor=1.0,
    outer_wall_speed=20,
    inner_wall_speed=40,
    infill_speed=50,
    top_bottom_speed=25,
    first_layer_speed=25,
    slow_layers=1,
    travel_speed=100,
    acceleration_mm_s2=1000,
    travel_outline_share=0.0,
    layer_change_s=0.0,
    min_layer_s=0.0,
    skirt_min_length_mm=250,
    skirt_gap_mm=0.0,
    support_density=0.2,
    support_speed=50,
    setup_minutes=10,
    filament_diameter_mm=1.75,
)
WATER = 1.0  # g/cm³: grams are then mm³ / 1000


def box(x: float, y: float, z: float, support_mm3: float = 0.0) -> PartShape:
    return PartShape(
        volume_mm3=x * y * z,
        area_mm2=2 * (x * y + y * z + z * x),
        bbox_mm=(x, y, z),
        support_volume_mm3=support_mm3,
    )


def mm3(terms: tuple[tuple[str, float], ...]) -> dict[str, float]:
    return {label: grams * 1000 / WATER for label, grams in terms}


def seconds(terms: tuple[tuple[str, float], ...]) -> dict[str, float]:
    return dict(terms)


def increasing(values: list[float]) -> bool:
    return all(a < b for a, b in itertools.pairwise(values))


def demo_sets() -> dict:
    return parameter_sets(tomllib.loads(PARAMETERS_PATH.read_text()))


def test_a_cube_is_walls_skin_and_infill_by_volume() -> None:
    result = estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=WATER)

    # Side 1,600 mm² × 2 walls × 0.4 mm; skin: the 400 mm² top less the walls' ring
    # (80 mm × 0.8 mm), over 8 layers of 0.2 mm; infill: 20 % of the rest; a 250 mm skirt.
    assert mm3(result.material_terms) == pytest.approx(
        {
            "walls": 1280.0,
            "skin": 336 * 8 * 0.2,
            "infill": (8000 - 1280 - 537.6) * 0.2,
            "support": 0.0,
            "skirt": 250 * 0.4 * 0.2,
        }
    )
    assert result.material_grams == pytest.approx(3.07408)


def test_a_cube_prints_each_feature_at_its_own_speed() -> None:
    terms = seconds(estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=WATER).time_terms)

    # Lines are volume / (0.4 × 0.2 mm): 8,000 mm per wall loop, 6,720 mm of skin and
    # 15,456 mm of infill.
    assert terms["walls"] == pytest.approx(8000 / 20 + 8000 / 40)
    assert terms["skin"] == pytest.approx(6720 / 25)
    assert terms["infill"] == pytest.approx(15456 / 50)
    assert terms["first layers and skirt"] == pytest.approx(250 / 25)


def test_every_hatch_line_pays_its_acceleration_and_the_travel_to_the_next() -> None:
    terms = seconds(estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=WATER).time_terms)

    # Lines run 1.5 × the inside's mean width, 2 × 6,720 mm³ / 1,600 mm² = 8.4 mm: 12.6 mm.
    # A line long enough to reach speed v loses v / a; a travel too short to reach it takes
    # 2·√(d / a).
    def travel(spacing: float) -> float:
        return 2 * math.sqrt(spacing / 1000)

    skin = 6720 / 12.6 * (25 / 1000 + travel(0.4 * math.sqrt(2)))
    infill = 15456 / 12.6 * (50 / 1000 + travel(0.4 / 0.2 / math.sqrt(2)))
    assert terms["starts and stops"] == pytest.approx(skin + infill)


def test_a_flat_box_has_more_skin_than_a_cube_of_its_volume() -> None:
    flat = estimate_fdm(box(40, 20, 10), FDM, density_g_cm3=WATER)

    # Side 1,200 mm², top 800 mm² less the ring of 120 mm × 0.8 mm.
    assert mm3(flat.material_terms)["walls"] == pytest.approx(960.0)
    assert mm3(flat.material_terms)["skin"] == pytest.approx(704 * 1.6)
    assert mm3(flat.material_terms)["infill"] == pytest.approx((8000 - 960 - 1126.4) * 0.2)


def test_a_plate_thinner_than_its_skin_is_printed_solid() -> None:
    plate = estimate_fdm(box(50, 50, 1), FDM, density_g_cm3=WATER)

    volumes = mm3(plate.material_terms)
    assert volumes["infill"] == 0.0
    assert volumes["walls"] + volumes["skin"] == pytest.approx(2500.0)


def test_a_small_layer_waits_for_the_minimum_layer_time() -> None:
    slow = replace(FDM, min_layer_s=10.0)

    tower = estimate_fdm(box(5, 5, 50), slow, density_g_cm3=WATER)

    assert seconds(tower.time_terms)["cooling waits"] > 0
    assert tower.print_hours * 3600 >= 250 * 10.0


def test_support_adds_its_share_of_the_space_under_overhangs() -> None:
    bare = estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=WATER)
    supported = estimate_fdm(box(20, 20, 20, support_mm3=5000), FDM, density_g_cm3=WATER)

    assert mm3(supported.material_terms)["support"] == pytest.approx(1000.0)
    assert supported.material_grams == pytest.approx(bare.material_grams + 1.0)
    assert supported.print_hours > bare.print_hours


def test_material_is_the_volume_times_the_density() -> None:
    water = estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=1.0)
    pla = estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=1.24)

    assert pla.material_grams == pytest.approx(water.material_grams * 1.24)
    assert pla.print_hours == water.print_hours


def test_filament_length_is_the_volume_over_the_filament_section() -> None:
    result = estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=1.24)

    length = filament_mm(result, FDM, density_g_cm3=1.24)

    assert length == pytest.approx(3074.08 / (math.pi * 1.75**2 / 4))


@pytest.mark.parametrize("parameters", ["prusa-mk4", "prusa-xl"])
def test_more_infill_takes_more_time_and_material(parameters: str) -> None:
    base = demo_sets()[parameters]
    assert isinstance(base, FdmParameters)
    densities = [0.1, 0.15, 0.3, 0.6]

    results = [
        estimate_fdm(box(40, 40, 40), replace(base, infill_density=d), density_g_cm3=1.24)
        for d in densities
    ]

    assert increasing([r.print_hours for r in results])
    assert increasing([r.material_grams for r in results])


@pytest.mark.parametrize("parameters", ["prusa-mk4", "prusa-xl", "form-3", "form-4", "eos-p396"])
def test_a_bigger_part_takes_more_time_and_material(parameters: str) -> None:
    p = demo_sets()[parameters]

    results = [estimate(box(s, s, s), p, density_g_cm3=1.2) for s in (10, 20, 40, 80)]

    assert increasing([r.print_hours for r in results])
    assert increasing([r.material_grams for r in results])


SLA = SlaParameters(
    layer_height_mm=0.05,
    exposure_s_per_layer=2.0,
    scan_s_per_mm2=0.004,
    lift_peel_s_per_layer=4.0,
    support_height_mm=5.0,
    raft_thickness_mm=2.0,
    support_fill=0.1,
    resin_waste=0.05,
    setup_minutes=30,
)


def test_sla_exposes_and_peels_every_layer_of_the_part_on_its_supports() -> None:
    result = estimate_sla(box(10, 10, 10, support_mm3=2000), SLA, density_g_cm3=WATER)

    # (10 mm part + 5 mm of supports) / 0.05 mm = 300 layers; the laser scans 1,000 mm³
    # as 200 layers of 100 mm².
    assert seconds(result.time_terms) == pytest.approx(
        {"exposure": 300 * 2.0, "laser scan": 0.004 * 100 * 200, "lift and peel": 300 * 4.0}
    )
    # The part, 10 % of the space under it, a 2 mm raft under its footprint, 5 % waste.
    assert mm3(result.material_terms) == pytest.approx(
        {"part": 1000.0, "supports": 200.0, "raft": 200.0, "resin waste": 70.0}
    )


SLS = SlsParameters(
    layer_height_mm=0.1,
    layer_s=10.0,
    bed_mm=(100.0, 100.0, 100.0),
    packing_density=0.5,
    powder_refresh_ratio=0.5,
    powder_bulk_fraction=0.5,
    setup_minutes=60,
)


def test_sls_charges_a_part_its_bounding_box_share_of_a_full_build() -> None:
    result = estimate_sls(box(10, 10, 10), SLS, density_g_cm3=WATER)

    # 1,000 mm³ of a 1,000,000 mm³ bed half filled: 0.2 % of 1,000 layers of 10 s.
    assert result.print_hours * 3600 == pytest.approx(0.002 * 1000 * 10.0)
    # Its share of the bed, 2,000 mm³, less the part is loose powder; half of it, at half
    # the solid density, is replaced by fresh powder.
    assert mm3(result.material_terms) == pytest.approx({"part": 1000.0, "powder refreshed": 250.0})


def test_sls_time_follows_the_bounding_box_not_the_volume() -> None:
    solid = estimate_sls(box(20, 20, 20), SLS, density_g_cm3=WATER)
    shell = estimate_sls(replace(box(20, 20, 20), volume_mm3=1000.0), SLS, density_g_cm3=WATER)

    assert shell.print_hours == solid.print_hours
    assert shell.material_grams < solid.material_grams


def test_setup_is_reported_once_beside_the_per_part_time() -> None:
    result = estimate_fdm(box(20, 20, 20), FDM, density_g_cm3=WATER)

    assert result.setup_hours == pytest.approx(10 / 60)
    assert result.print_hours == pytest.approx(sum(s for _, s in result.time_terms) / 3600)


def test_a_part_lying_on_its_side_is_measured_along_its_new_height() -> None:
    measurements = Measurements(
        triangles=12, volume_mm3=6000.0, area_mm2=2200.0, bbox_mm=(30.0, 20.0, 10.0)
    )

    part = part_shape(measurements, Orientation(up="+x", height_mm=30.0, support_volume_mm3=5.0))

    assert part.bbox_mm == (20.0, 10.0, 30.0)
    assert part.support_volume_mm3 == 5.0


def test_the_demo_parameters_cover_every_demo_machine() -> None:
    sets = demo_sets()

    assert {name: type(p).__name__ for name, p in sets.items()} == {
        "prusa-mk4": "FdmParameters",
        "prusa-xl": "FdmParameters",
        "form-3": "SlaParameters",
        "form-4": "SlaParameters",
        "eos-p396": "SlsParameters",
    }


def test_a_parameter_set_missing_a_value_names_it() -> None:
    document = tomllib.loads(PARAMETERS_PATH.read_text())
    del document["sla"]["form-4"]["lift_peel_s_per_layer"]

    with pytest.raises(ValueError, match=r"sla\.form-4.*lift_peel_s_per_layer"):
        parameter_sets(document)
