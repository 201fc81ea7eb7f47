"""Slicing with the real CuraEngine (`make system` installs it and Cura's definitions)."""

import json
import os
import shutil
from pathlib import Path

import pytest

from fabrika.mes import shapes
from fabrika.mes.cura_profiles import generate_profiles
from fabrika.mes.geometry import Mesh, measure, to_binary_stl
from fabrika.mes.slicing import (
    PROFILES_DIR,
    Cura,
    CuraNotFound,
    SliceFailed,
    SliceLimits,
    find_cura,
    load_profile,
    slice_stl,
)

PLA = 1.24


@pytest.fixture(scope="module")
def cura() -> Cura:
    return find_cura()


@pytest.fixture(scope="module")
def mk4():
    return load_profile("prusa-mk4")


def failure(stl: bytes, profile, cura: Cura, **kwargs) -> SliceFailed:
    with pytest.raises(SliceFailed) as caught:
        slice_stl(stl, profile, cura=cura, density_g_cm3=PLA, **kwargs)
    return caught.value


def engine_children() -> list[int]:
    """CuraEngine processes this test process started that still exist (zombies too)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()  # "pid (name) state ppid ..."
        except OSError:
            continue  # the process ended while we looked
        name = text[text.index("(") + 1 : text.rindex(")")]
        parent = int(text[text.rindex(")") + 1 :].split()[1])
        if parent == os.getpid() and name == "CuraEngine":
            found.append(int(stat.parent.name))
    return found


def test_a_cube_slices_to_a_print_time_and_filament_between_its_walls_and_solid(cura, mk4) -> None:
    result = slice_stl(to_binary_stl(shapes.box(20, 20, 20)), mk4, cura=cura, density_g_cm3=PLA)

    walls_mm = 2 * 4 * 20 * (20 / 0.2)  # two loops round 20 mm sides, 100 layers
    solid_grams = 20**3 * PLA / 1000
    assert result.layers == 100
    # The walls alone take 8,000 mm at 40 and 8,000 mm at 60 mm/s; infill and skin add more.
    assert walls_mm / 2 / 40 + walls_mm / 2 / 60 < result.print_seconds < 3600
    assert walls_mm * 0.4 * 0.2 * PLA / 1000 < result.filament_grams < solid_grams


def test_filament_length_and_grams_agree_through_the_filament_diameter(cura, mk4) -> None:
    result = slice_stl(to_binary_stl(shapes.box(20, 20, 20)), mk4, cura=cura, density_g_cm3=PLA)

    volume_mm3 = result.filament_mm * 3.141592653589793 * 1.75**2 / 4
    assert result.filament_grams == pytest.approx(volume_mm3 * PLA / 1000)


def test_support_adds_filament_under_a_sphere(cura, mk4) -> None:
    sphere = to_binary_stl(shapes.sphere(5, 500))

    bare = slice_stl(sphere, mk4, cura=cura, density_g_cm3=PLA)
    supported = slice_stl(sphere, mk4, cura=cura, density_g_cm3=PLA, variants=["support"])

    assert supported.filament_grams > bare.filament_grams
    assert supported.print_seconds > bare.print_seconds


def test_a_slice_over_its_time_limit_fails_and_leaves_no_engine_running(cura, mk4) -> None:
    # A 60 mm sphere takes CuraEngine about half a second; a millisecond is never enough.
    stl = to_binary_stl(shapes.sphere(30, 8000))

    error = failure(stl, mk4, cura, limits=SliceLimits(timeout_s=0.001))

    assert error.code == "timeout"
    assert "0.001 s" in str(error)
    assert engine_children() == []


def test_a_model_over_the_triangle_limit_is_refused(cura, mk4) -> None:
    sphere = shapes.sphere(10, 2000)

    error = failure(to_binary_stl(sphere), mk4, cura, limits=SliceLimits(max_triangles=1000))

    assert measure(sphere).triangles > 1000
    assert error.code == "too_large"
    assert "1,000" in str(error)


def test_a_file_over_the_byte_limit_is_refused(cura, mk4) -> None:
    stl = to_binary_stl(shapes.box(20, 20, 20))

    error = failure(stl, mk4, cura, limits=SliceLimits(max_bytes=len(stl) - 1))

    assert error.code == "too_large"


def test_a_truncated_stl_fails_saying_so(cura, mk4) -> None:
    stl = to_binary_stl(shapes.box(20, 20, 20))

    error = failure(stl[: len(stl) - 20], mk4, cura)

    assert error.code == "bad_model"
    assert "truncated" in str(error)


def test_a_model_with_nothing_to_print_fails_with_no_estimate(cura, mk4) -> None:
    triangles = shapes.box(20, 20, 20).triangles.copy()
    triangles[:, :, 2] = 0.0  # every vertex on the bed: no layer to slice

    error = failure(to_binary_stl(Mesh(triangles)), mk4, cura)

    assert error.code == "no_estimate"


def test_a_failing_engine_is_reported_with_its_own_words(cura, mk4, tmp_path) -> None:
    (tmp_path / "fdmprinter.def.json").write_text("{not json")
    shutil.copy(cura.definitions / "fdmextruder.def.json", tmp_path)
    broken = Cura(engine=cura.engine, definitions=tmp_path)

    error = failure(to_binary_stl(shapes.box(20, 20, 20)), mk4, broken)

    assert error.code == "engine_error"
    assert "Failed to load JSON file" in str(error)


def test_the_committed_profiles_are_what_the_definitions_resolve_to(cura) -> None:
    generated = generate_profiles(cura.definitions)

    for machine_id, profile in generated.items():
        committed = json.loads((PROFILES_DIR / f"{machine_id}.json").read_text())
        assert committed == profile, f"regenerate cura/{machine_id}.json"


def test_a_missing_engine_is_reported_with_how_to_install_it(tmp_path) -> None:
    with pytest.raises(CuraNotFound, match="make system"):
        find_cura(engine=str(tmp_path / "CuraEngine"))


def test_a_definitions_folder_given_explicitly_is_the_only_one_tried(cura, tmp_path) -> None:
    with pytest.raises(CuraNotFound, match=str(tmp_path)):
        find_cura(engine=str(cura.engine), definitions=str(tmp_path))
