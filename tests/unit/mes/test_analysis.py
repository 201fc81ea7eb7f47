import numpy as np
import pytest

from fabrika.mes.analysis import analyse
from fabrika.mes.geometry import Mesh, box_mesh, sphere_mesh


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


def support_face_by_face(mesh: Mesh, up: str) -> float:
    """The rule in the module docstring, one face at a time: a face facing down more
    steeply than 45° needs its projected area times its centroid's height of support."""
    axis, sign = "xyz".index(up[1]), 1.0 if up[0] == "+" else -1.0
    heights = sign * mesh.triangles[:, :, axis]
    floor = heights.min()
    total = 0.0
    for triangle, height in zip(mesh.triangles, heights, strict=True):
        normal = np.cross(triangle[1] - triangle[0], triangle[2] - triangle[0])
        area = np.linalg.norm(normal) / 2
        facing = sign * normal[axis] / np.linalg.norm(normal)
        if facing < -np.cos(np.radians(45)):
            total += area * -facing * (height.mean() - floor)
    return total


def test_every_orientation_agrees_with_the_rule_applied_face_by_face() -> None:
    rng = np.random.default_rng(5)
    # A sphere turned by an arbitrary rotation, then stretched: no face is axis-aligned.
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    triangles = sphere_mesh(10, 3).triangles @ rotation.T * np.array([1.0, 0.6, 1.4])
    mesh = Mesh(triangles + np.array([3.0, -8.0, 40.0]))

    found = by_up(mesh)

    for up in ("+x", "-x", "+y", "-y", "+z", "-z"):
        assert found[up] == pytest.approx(support_face_by_face(mesh, up), rel=1e-9), up
