"""Closed meshes of known shape for benchmarks and tests: boxes, cylinders, spheres, tori,
a hollow box, a thin plate, a tall tower. Pure numpy; every part stands on z = 0.

Round shapes are surfaces of revolution: a profile in the (radius, z) half-plane, walked
anticlockwise (outwards along the bottom, up the outside), swept around the z axis. Walking
it that way makes every normal point outwards, and points on the axis close the poles.
"""

import math

import numpy as np

from fabrika.mes.geometry import Mesh, fine_mesh

# Box faces are split into a few squares: CuraEngine slices a 150 mm box made of 12 long
# triangles with stray skin in a few layers (2.5 % more time), and the split box without.
BOX_CELLS = 4


def box(x: float, y: float, z: float) -> Mesh:
    """A closed box from the origin to (x, y, z), each face split into 4 × 4 squares."""
    unit = fine_mesh(12 * BOX_CELLS**2, size_mm=1.0)
    return Mesh(unit.triangles * np.array([x, y, z]))


def plate(width: float, depth: float, thickness: float) -> Mesh:
    """A flat plate lying on the bed: almost all top and bottom skin, little infill."""
    return box(width, depth, thickness)


def tower(width: float, height: float) -> Mesh:
    """A tall square column: many small layers, each shorter than the minimum layer time."""
    return box(width, width, height)


def hollow_box(x: float, y: float, z: float, wall: float) -> Mesh:
    """A closed box with a closed cavity `wall` in from every face: two shells, the inner
    one with its normals pointing into the cavity."""
    if 2 * wall >= min(x, y, z):
        raise ValueError(f"a {wall} mm wall leaves no cavity in a {x} × {y} × {z} mm box")
    inner = box(x - 2 * wall, y - 2 * wall, z - 2 * wall).triangles + wall
    # Reversing each triangle's vertex order turns its normal around.
    return Mesh(np.concatenate([box(x, y, z).triangles, inner[:, ::-1]]))


def cylinder(radius: float, height: float, segments: int = 64) -> Mesh:
    """An upright cylinder on the bed, centred on the z axis: 4·segments triangles."""
    profile = [(0.0, 0.0), (radius, 0.0), (radius, height), (0.0, height)]
    return revolve(np.array(profile), segments)


def sphere(radius: float, triangles: int = 5_000) -> Mesh:
    """A UV sphere resting on the bed with about `triangles` triangles (at least 32)."""
    rings = max(4, round(math.sqrt(triangles / 4)))
    angles = np.linspace(-math.pi / 2, math.pi / 2, rings + 1)
    profile = np.stack([radius * np.cos(angles), radius * (1 + np.sin(angles))], axis=1)
    profile[[0, -1], 0] = 0.0  # the poles exactly on the axis
    return revolve(profile, 2 * rings)


def torus(major_radius: float, minor_radius: float, segments: int = 64) -> Mesh:
    """A ring lying on the bed: a tube of `minor_radius` around a circle of `major_radius`;
    2·segments² triangles."""
    if minor_radius >= major_radius:
        raise ValueError("the tube must be thinner than the ring's radius")
    angles = np.linspace(-math.pi / 2, 3 * math.pi / 2, segments + 1)
    profile = np.stack(
        [major_radius + minor_radius * np.cos(angles), minor_radius * (1 + np.sin(angles))], axis=1
    )
    return revolve(profile, segments)


def revolve(profile: np.ndarray, segments: int) -> Mesh:
    """Sweep a polyline of (radius, z) points, walked anticlockwise, around the z axis."""
    angles = np.linspace(0.0, 2 * math.pi, segments + 1)
    angles[-1] = 0.0  # the last column is the first, bit for bit, so the seam closes
    radius, z = profile[:, 0][:, None], profile[:, 1][:, None]
    xs, ys = radius * np.cos(angles), radius * np.sin(angles)
    grid = np.stack([xs, ys, np.broadcast_to(z, xs.shape)], axis=-1)
    a, b = grid[:-1, :-1], grid[:-1, 1:]  # this profile point, this and the next angle
    d, c = grid[1:, :-1], grid[1:, 1:]  # the next profile point
    corners = [np.stack(triangle, axis=-2).reshape(-1, 3, 3) for triangle in ((a, b, c), (a, c, d))]
    triangles = np.concatenate(corners)
    return Mesh(_without_degenerate(triangles))


def _without_degenerate(triangles: np.ndarray) -> np.ndarray:
    """Drop the triangles that collapse where the profile touches the axis."""
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    kept: np.ndarray = triangles[np.linalg.norm(cross, axis=1) > 1e-12]
    return kept
