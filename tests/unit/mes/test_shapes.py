"""The benchmark shapes are closed, face outwards and measure what their formulas say."""

import math

import numpy as np
import pytest

from fabrika.mes import shapes
from fabrika.mes.geometry import Mesh, measure


def signed_volume(mesh: Mesh) -> float:
    a, b, c = mesh.triangles[:, 0], mesh.triangles[:, 1], mesh.triangles[:, 2]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6)


def open_edges(mesh: Mesh) -> int:
    """Edges used by one triangle only (a closed surface has none)."""
    rounded = np.round(mesh.triangles, 9)
    edges = np.concatenate([rounded[:, [0, 1]], rounded[:, [1, 2]], rounded[:, [2, 0]]])
    keys = np.sort(edges.reshape(len(edges), 2, 3).view("f8,f8,f8").reshape(-1, 2), axis=1)
    _, counts = np.unique(keys, axis=0, return_counts=True)
    return int((counts == 1).sum())


CASES = [
    ("box", shapes.box(30, 20, 10), 6000, 2200),
    ("plate", shapes.plate(100, 50, 2), 10000, 10600),
    ("tower", shapes.tower(10, 100), 10000, 4200),
    ("hollow box", shapes.hollow_box(40, 40, 40, 5), 40**3 - 30**3, 6 * 40**2 + 6 * 30**2),
    ("cylinder", shapes.cylinder(10, 30, 256), math.pi * 100 * 30, 2 * math.pi * (100 + 300)),
    ("sphere", shapes.sphere(20, 40_000), 4 / 3 * math.pi * 20**3, 4 * math.pi * 20**2),
    ("torus", shapes.torus(30, 8, 256), 2 * math.pi**2 * 30 * 8**2, 4 * math.pi**2 * 30 * 8),
]


@pytest.mark.parametrize(("name", "mesh", "volume", "area"), CASES)
def test_each_shape_measures_its_formula(name: str, mesh: Mesh, volume: float, area: float):
    measured = measure(mesh)

    assert measured.volume_mm3 == pytest.approx(volume, rel=2e-3), name
    assert measured.area_mm2 == pytest.approx(area, rel=2e-3), name


@pytest.mark.parametrize(("name", "mesh", "volume", "area"), CASES)
def test_each_shape_is_closed_faces_outwards_and_stands_on_the_bed(
    name: str, mesh: Mesh, volume: float, area: float
) -> None:
    assert open_edges(mesh) == 0, name
    assert signed_volume(mesh) == pytest.approx(volume, rel=2e-3), name
    assert mesh.triangles[:, :, 2].min() == 0.0, name


def test_a_sphere_has_about_the_triangles_asked_for() -> None:
    count = len(shapes.sphere(30, 100_000).triangles)

    assert 95_000 < count < 105_000


def test_a_hollow_box_needs_room_for_its_cavity() -> None:
    with pytest.raises(ValueError, match="no cavity"):
        shapes.hollow_box(10, 10, 10, 5)
