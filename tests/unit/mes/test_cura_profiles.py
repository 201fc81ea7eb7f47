"""Resolving Cura's setting formulas, on small made-up definitions."""

import pytest

from fabrika.mes.cura_profiles import build_profile, resolve

DEFINITIONS = {
    "machine_nozzle_size": {"type": "float", "default_value": 0.4},
    "line_width": {"type": "float", "default_value": 0.4, "value": "machine_nozzle_size"},
    "infill_sparse_density": {"type": "float", "default_value": 20},
    "infill_line_distance": {
        "type": "float",
        "default_value": 2,
        "value": "infill_line_width * 100 / infill_sparse_density * 2",
    },
    "infill_line_width": {"type": "float", "default_value": 0.4, "value": "line_width"},
    "layer_height": {"type": "float", "default_value": 0.1},
    "top_thickness": {"type": "float", "default_value": 0.8},
    "top_layers": {
        "type": "int",
        "default_value": 8,
        "value": "math.ceil(round(top_thickness / resolveOrValue('layer_height'), 4))",
    },
    "adhesion_extruder_nr": {
        "type": "extruder",
        "default_value": "0",
        "value": "int(defaultExtruderPosition())",
    },
    "support_enable": {"type": "bool", "default_value": False},
    "support_any": {
        "type": "bool",
        "default_value": False,
        "value": "any(extruderValues('support_enable'))",
    },
}


def test_derived_settings_follow_the_chosen_ones() -> None:
    values = resolve(DEFINITIONS, {"machine_nozzle_size": 0.6, "infill_sparse_density": 15})

    assert values["line_width"] == 0.6
    assert values["infill_line_distance"] == pytest.approx(0.6 * 100 / 15 * 2)


def test_a_chosen_value_wins_over_its_formula() -> None:
    values = resolve(DEFINITIONS, {"line_width": 0.45})

    assert values["infill_line_width"] == 0.45


def test_results_take_the_setting_type() -> None:
    values = resolve(DEFINITIONS, {"layer_height": 0.2})

    assert values["top_layers"] == 4 and isinstance(values["top_layers"], int)
    assert values["adhesion_extruder_nr"] == "0"


def test_extruder_lookups_read_the_one_extruder() -> None:
    assert resolve(DEFINITIONS, {"support_enable": True})["support_any"] is True


def test_a_setting_that_is_not_cura_s_is_refused() -> None:
    with pytest.raises(KeyError, match="infill_densty"):
        resolve(DEFINITIONS, {"infill_densty": 15})


def test_settings_that_refer_to_each_other_in_a_loop_are_refused() -> None:
    looped = {
        "a": {"type": "float", "default_value": 1, "value": "b"},
        "b": {"type": "float", "default_value": 1, "value": "a"},
    }

    with pytest.raises(ValueError, match="loop"):
        resolve(looped, {})


def test_a_profile_keeps_what_differs_from_the_defaults_and_each_variant_s_changes() -> None:
    machine = {
        "name": "Test printer",
        "settings": {"layer_height": 0.2},
        "variants": {"support": {"support_enable": True}},
    }

    profile = build_profile(DEFINITIONS, {"machine_nozzle_size"}, machine)

    # The definitions' own default line distance (2 mm) does not follow their default density.
    assert profile["global"] == {"layer_height": 0.2, "top_layers": 4, "infill_line_distance": 4}
    assert profile["extruder"] == {"machine_nozzle_size": 0.4}
    assert profile["variants"] == {"support": {"support_enable": True, "support_any": True}}
