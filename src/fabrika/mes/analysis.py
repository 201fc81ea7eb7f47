"""How a part prints: the support it needs in each of its six axis-aligned orientations.

A face whose outward normal points down more steeply than the overhang angle needs support
from the build plate up to it; the support volume is approximated as that face's projected
area times its height above the lowest point of the part. Internal overhangs are counted as
if supported from the plate, so the estimate errs towards more support. Pure numpy.
"""

from dataclasses import dataclass

import numpy as np

from fabrika.mes.geometry import Mesh

# Faces steeper than 45° from vertical print without support on every process we offer.
OVERHANG_COS = float(np.cos(np.radians(45)))
UP_DIRECTIONS = ("+x", "-x", "+y", "-y", "+z", "-z")


@dataclass(frozen=True)
class Orientation:
    up: str
    height_mm: float
    support_volume_mm3: float


@dataclass(frozen=True)
class Analysis:
    orientations: tuple[Orientation, ...]

    @property
    def least_support(self) -> Orientation:
        return min(self.orientations, key=lambda o: (o.support_volume_mm3, o.height_mm))


def analyse(mesh: Mesh) -> Analysis:
    """Support volume and height for each of the six ways up."""
    # Per axis, one contiguous row per vertex (as in geometry.measure): arithmetic and
    # reductions over (n, 3, 3) run along short strided rows and are several times slower.
    coordinates = [np.ascontiguousarray(mesh.triangles[:, :, axis].T) for axis in range(3)]
    lows = np.array([rows.min() for rows in coordinates])
    highs = np.array([rows.max() for rows in coordinates])
    normals, double_areas = _unit_normals(*coordinates)
    orientations = []
    for up in UP_DIRECTIONS:
        axis = "xyz".index(up[1])
        sign = 1.0 if up[0] == "+" else -1.0
        facing = sign * normals[axis]  # the normal's component along `up`
        overhang = facing < -OVERHANG_COS
        base = lows[axis] if sign > 0 else -highs[axis]
        a, b, c = coordinates[axis]
        heights = sign * (a[overhang] + b[overhang] + c[overhang]) / 3 - base
        projected = double_areas[overhang] / 2 * -facing[overhang]
        support = float(np.sum(projected * np.clip(heights, 0.0, None)))
        orientations.append(Orientation(up, float(highs[axis] - lows[axis]), support))
    return Analysis(tuple(orientations))


def _unit_normals(xs: np.ndarray, ys: np.ndarray, zs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each face's unit normal, as rows x, y, z, and twice its area; `xs[j]` holds the x of
    vertex j of every face. Degenerate faces get a zero normal."""
    (ax, bx, cx), (ay, by, cy), (az, bz, cz) = xs, ys, zs
    ux, uy, uz = bx - ax, by - ay, bz - az
    wx, wy, wz = cx - ax, cy - ay, cz - az
    normals = np.stack([uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx])
    double_areas = np.sqrt(np.einsum("ij,ij->j", normals, normals))
    normals /= np.maximum(double_areas, 1e-12)
    return normals, double_areas
