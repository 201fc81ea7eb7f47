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
    triangles = mesh.triangles
    edges_a = triangles[:, 1] - triangles[:, 0]
    edges_b = triangles[:, 2] - triangles[:, 0]
    normals = np.cross(edges_a, edges_b)  # length = 2 × area
    double_areas = np.linalg.norm(normals, axis=1)
    centroids = triangles.mean(axis=1)
    lows = triangles.min(axis=(0, 1))
    highs = triangles.max(axis=(0, 1))
    orientations = []
    for up in UP_DIRECTIONS:
        axis = "xyz".index(up[1])
        sign = 1.0 if up[0] == "+" else -1.0
        # Normalised normal component along `up`, guarding against degenerate faces.
        facing = sign * normals[:, axis] / np.maximum(double_areas, 1e-12)
        overhang = facing < -OVERHANG_COS
        base = lows[axis] if sign > 0 else -highs[axis]
        heights = sign * centroids[overhang, axis] - base
        projected = double_areas[overhang] / 2 * -facing[overhang]
        support = float(np.sum(projected * np.clip(heights, 0.0, None)))
        orientations.append(Orientation(up, float(highs[axis] - lows[axis]), support))
    return Analysis(tuple(orientations))
