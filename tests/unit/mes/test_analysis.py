import numpy as np
import pytest

from fabrika.mes.analysis import analyse
from fabrika.mes.geometry import Mesh, box_mesh


def moved(mesh: Mesh, dx: float, dy: float, dz: float) -> Mesh:
    return Mesh(mesh.triangles + np.array([dx, dy, dz]))


def mushroom() -> Mesh:
    """A 30 × 30 × 5 mm cap on a 10 × 10 × 10 mm stem: the cap's underside overhangs."""
    stem = moved(box_mesh(10, 10, 10), 10, 10, 0)
    cap = moved(box_mesh(30, 30, 5), 0, 0, 10)
    return Mesh(np.concatenate([stem.triangles, cap.triangles]))


def by_up(mesh: Mesh) -> dict[str, float]:
    return {o.up: o.support_volume_mm3 for o in analyse(mesh).orientations}


def test_a_box_needs_no_support_whichever_way_up() -> None:
    assert all(v == 0 for v in by_up(box_mesh(20, 30, 40)).values())


def test_heights_are_the_extent_along_each_up_direction() -> None:
    heights = {o.up: o.height_mm for o in analyse(box_mesh(20, 30, 40)).orientations}
    assert heights == {"+x": 20, "-x": 20, "+y": 30, "-y": 30, "+z": 40, "-z": 40}


def test_an_overhang_needs_its_area_times_its_height_of_support() -> None:
    assert by_up(mushroom())["+z"] == pytest.approx(30 * 30 * 10)


def test_the_least_support_orientation_turns_the_cap_onto_the_plate() -> None:
    best = analyse(mushroom()).least_support
    assert best.up == "-z"
    assert best.support_volume_mm3 == pytest.approx(10 * 10 * 5)


def test_translation_changes_nothing() -> None:
    assert by_up(moved(mushroom(), 100, -50, 7)) == pytest.approx(by_up(mushroom()))
