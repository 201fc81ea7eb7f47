"""3D models: reading STL files and measuring them (volume, area, bounding box). Pure numpy.

Quotes are priced from these measurements, so the measurements must be right for any file a
customer exports, and fast enough to run on a million triangles inside a quote worker.
The mesh generators at the end serve tests and benchmarks, which need models of known size.
"""

import itertools
import math
import re
from dataclasses import dataclass

import numpy as np

HEADER_BYTES = 84  # 80 bytes of free text, then the triangle count as a little-endian uint32
TRIANGLE_BYTES = 50
# One binary STL record: a normal, three vertices, a 2-byte attribute; packed, little-endian.
BINARY_TRIANGLE = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
# A volume this small relative to area**1.5 (what the surface could enclose at most, up to a
# constant) is rounding noise: the surface is flat or encloses nothing.
ZERO_VOLUME_RATIO = 1e-9

_ASCII_VERTEX = re.compile(rb"vertex\s+(\S+)\s+(\S+)\s+(\S+)", re.IGNORECASE)
_ASCII_FACET = re.compile(rb"facet\s+normal", re.IGNORECASE)
_ASCII_END = re.compile(rb"endsolid", re.IGNORECASE)


class ModelError(ValueError):
    """A file we cannot measure. `code` is the machine key; str() tells the person what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# eq=False: comparing meshes means comparing arrays, which dataclass equality cannot do.
@dataclass(frozen=True, eq=False)
class Mesh:
    """A triangle soup: `triangles[i, j]` is vertex j of triangle i, in millimetres."""

    triangles: np.ndarray

    def __post_init__(self) -> None:
        if self.triangles.ndim != 3 or self.triangles.shape[1:] != (3, 3):
            raise ValueError(f"triangles must have shape (n, 3, 3), not {self.triangles.shape}")


@dataclass(frozen=True)
class Measurements:
    """What pricing needs to know about a model."""

    triangles: int
    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]


def parse_stl(data: bytes, *, max_triangles: int = 2_000_000) -> Mesh:
    """Read a binary or ASCII STL file; raise ModelError saying what is wrong with a bad one.

    Binary wins whenever the size matches the announced triangle count, because many binary
    exporters start their free-text header with "solid" too.
    """
    if not data:
        raise ModelError("empty", "The file is empty; upload an STL model.")
    count = int.from_bytes(data[80:84], "little") if len(data) >= HEADER_BYTES else None
    if count is not None and len(data) == HEADER_BYTES + TRIANGLE_BYTES * count:
        _check_count(count, max_triangles)
        records = np.frombuffer(data, dtype=BINARY_TRIANGLE, count=count, offset=HEADER_BYTES)
        triangles = records["vertices"].astype(np.float64)
    elif _looks_ascii(data):
        triangles = _parse_ascii(data, max_triangles)
    else:
        raise _binary_size_error(len(data), count, max_triangles)
    _check_finite(triangles)
    return Mesh(triangles)


def _looks_ascii(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"solid") and (b"facet" in data or _ASCII_END.search(data) is not None)


def _check_count(count: int, max_triangles: int) -> None:
    if count == 0:
        raise ModelError("empty", "The STL file contains no triangles; export the model again.")
    if count > max_triangles:
        raise ModelError(
            "too_many_triangles",
            f"The model has {count:,} triangles; we accept at most {max_triangles:,}. "
            "Reduce the mesh resolution (decimate it) and upload it again.",
        )


def _binary_size_error(size: int, count: int | None, max_triangles: int) -> ModelError:
    if count is None:
        return ModelError(
            "truncated",
            f"The file has only {size} bytes: it is not an ASCII STL, and a binary STL has at "
            "least 84 (its header and triangle count); the file looks truncated.",
        )
    expected = HEADER_BYTES + TRIANGLE_BYTES * count
    announced = f"The binary STL header announces {count:,} triangles ({expected:,} bytes)"
    if size < expected and count <= max_triangles:
        return ModelError(
            "truncated", f"{announced} but the file has {size:,} bytes; the file looks truncated."
        )
    if size > expected and (size - HEADER_BYTES) % TRIANGLE_BYTES == 0:
        held = (size - HEADER_BYTES) // TRIANGLE_BYTES
        return ModelError(
            "triangle_count_mismatch",
            f"{announced} but the file holds {held:,}; the exporter wrote a wrong count. "
            "Export the model again.",
        )
    return ModelError(
        "not_stl",
        "The file is not an STL model: it does not start with 'solid' and list facets, and "
        f"its size ({size:,} bytes) does not match a binary STL. Export the model as STL.",
    )


def _parse_ascii(data: bytes, max_triangles: int) -> np.ndarray:
    facets = sum(1 for _ in _ASCII_FACET.finditer(data))
    _check_count(facets, max_triangles)
    coordinates = _ASCII_VERTEX.findall(data)
    if len(coordinates) != 3 * facets or _ASCII_END.search(data) is None:
        raise ModelError(
            "truncated",
            f"The ASCII STL lists {facets:,} facets but {len(coordinates):,} vertices (a facet "
            "has 3), or lacks the closing 'endsolid'; the file looks truncated.",
        )
    try:
        vertices = np.array(coordinates, dtype=np.bytes_).astype(np.float64)
    except ValueError:
        raise ModelError("not_stl", _bad_number_message(coordinates)) from None
    return vertices.reshape(-1, 3, 3)


def _bad_number_message(coordinates: list[tuple[bytes, bytes, bytes]]) -> str:
    for token in itertools.chain.from_iterable(coordinates):
        try:
            float(token)
        except ValueError:
            return (
                f"The ASCII STL has the coordinate {token.decode('ascii', 'replace')!r}, which "
                "is not a number; coordinates look like 12.5 or -3.2e+01."
            )
    return "The ASCII STL has a coordinate that is not a number."


def _check_finite(triangles: np.ndarray) -> None:
    if np.isfinite(triangles).all():
        return
    bad = int((~np.isfinite(triangles)).any(axis=(1, 2)).sum())
    raise ModelError(
        "non_finite",
        f"{bad:,} of the {len(triangles):,} triangles have coordinates that are not numbers "
        "(NaN or infinity); repair the mesh in your CAD tool and export it again.",
    )


def measure(mesh: Mesh) -> Measurements:
    """Volume (divergence theorem), surface area and bounding box of a closed mesh."""
    # One contiguous float64 array per vertex and axis: reductions over (n, 3, 3) run
    # along short strided rows and are several times slower.
    vertices = np.ascontiguousarray(mesh.triangles.transpose(1, 2, 0), dtype=np.float64)
    low, high = vertices.min(axis=(0, 2)), vertices.max(axis=(0, 2))
    # Centring first keeps the signed sum well conditioned for models far from the origin.
    vertices -= ((low + high) / 2)[None, :, None]
    area, signed_volume = _area_and_signed_volume(vertices)
    volume = abs(signed_volume)
    if volume <= ZERO_VOLUME_RATIO * area**1.5:
        raise ModelError(
            "zero_volume",
            f"The model encloses no volume ({len(mesh.triangles):,} triangles, {area:,.1f} mm² "
            "of surface, nothing inside: it is flat or not closed); export a closed, solid mesh.",
        )
    size = high - low
    return Measurements(
        triangles=len(mesh.triangles),
        volume_mm3=volume,
        area_mm2=area,
        bbox_mm=(float(size[0]), float(size[1]), float(size[2])),
    )


def _area_and_signed_volume(vertices: np.ndarray) -> tuple[float, float]:
    """Sum of triangle areas, and of signed tetrahedra to the origin (the enclosed volume,
    negative when the normals point inwards). `vertices[j, axis]` holds one coordinate of
    vertex j for every triangle."""
    (ax, ay, az), (bx, by, bz), (cx, cy, cz) = vertices
    ux, uy, uz = bx - ax, by - ay, bz - az
    wx, wy, wz = cx - ax, cy - ay, cz - az
    nx, ny, nz = uy * wz - uz * wy, uz * wx - ux * wz, ux * wy - uy * wx
    area = 0.5 * float(np.sqrt(nx * nx + ny * ny + nz * nz).sum())
    # a · ((b - a) × (c - a)) == a · (b × c): six times the signed tetrahedron.
    return area, float((ax * nx + ay * ny + az * nz).sum()) / 6


def fitting_orientations(
    bbox_mm: tuple[float, float, float], build_volume_mm: tuple[float, float, float]
) -> list[tuple[float, float, float]]:
    """The axis-aligned placements (the permutations of the bbox) that fit the build volume."""
    x, y, z = bbox_mm
    placements = sorted({(x, y, z), (x, z, y), (y, x, z), (y, z, x), (z, x, y), (z, y, x)})
    return [p for p in placements if all(s <= b for s, b in zip(p, build_volume_mm, strict=True))]


def fits(bbox_mm: tuple[float, float, float], build_volume_mm: tuple[float, float, float]) -> bool:
    """Whether the part fits the machine in at least one axis-aligned orientation."""
    return bool(fitting_orientations(bbox_mm, build_volume_mm))


# Each unit-cube face as (corner, u, v) with u × v pointing outwards.
_CUBE_FACES = (
    ((0, 0, 0), (0, 1, 0), (1, 0, 0)),
    ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
    ((0, 0, 0), (1, 0, 0), (0, 0, 1)),
    ((0, 1, 0), (0, 0, 1), (1, 0, 0)),
    ((0, 0, 0), (0, 0, 1), (0, 1, 0)),
    ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
)


def _grid_box(size: tuple[float, float, float], cells: int) -> Mesh:
    """A closed box from the origin to `size`, each face split into cells × cells squares."""
    ticks = np.linspace(0.0, 1.0, cells + 1)
    s, t = (grid[..., None] for grid in np.meshgrid(ticks, ticks, indexing="ij"))
    faces = []
    for corner, u, v in _CUBE_FACES:
        points = (np.array(corner) + s * np.array(u) + t * np.array(v)) * np.array(size)
        p00, p10 = points[:-1, :-1], points[1:, :-1]
        p11, p01 = points[1:, 1:], points[:-1, 1:]
        faces.append(np.stack([p00, p10, p11], axis=-2).reshape(-1, 3, 3))
        faces.append(np.stack([p00, p11, p01], axis=-2).reshape(-1, 3, 3))
    return Mesh(np.concatenate(faces).astype(np.float64))


def box_mesh(x: float, y: float, z: float) -> Mesh:
    """A closed box from the origin to (x, y, z): 12 triangles, normals outwards."""
    return _grid_box((x, y, z), 1)


def tetrahedron_mesh(a: float) -> Mesh:
    """The right-corner tetrahedron (0,0,0), (a,0,0), (0,a,0), (0,0,a): volume a³/6,
    area (3 + √3)·a²/2. Normals outwards."""
    o, x, y, z = np.array([[0, 0, 0], [a, 0, 0], [0, a, 0], [0, 0, a]], dtype=np.float64)
    return Mesh(np.array([[o, y, x], [o, x, z], [o, z, y], [x, y, z]]))


_PHI = (1 + math.sqrt(5)) / 2
_ICOSAHEDRON_VERTICES = np.array(
    [(-1, _PHI, 0), (1, _PHI, 0), (-1, -_PHI, 0), (1, -_PHI, 0), (0, -1, _PHI), (0, 1, _PHI),
     (0, -1, -_PHI), (0, 1, -_PHI), (_PHI, 0, -1), (_PHI, 0, 1), (-_PHI, 0, -1), (-_PHI, 0, 1)]
)  # fmt: skip
_ICOSAHEDRON_FACES = np.array(
    [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
     (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9),
     (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]
)  # fmt: skip


def _unit(vectors: np.ndarray) -> np.ndarray:
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)
    return unit


def sphere_mesh(radius: float, subdivisions: int) -> Mesh:
    """An icosphere: the icosahedron with each triangle split in four `subdivisions` times
    (20·4^subdivisions triangles), every vertex on the sphere, normals outwards."""
    triangles = _unit(_ICOSAHEDRON_VERTICES)[_ICOSAHEDRON_FACES]
    for _ in range(subdivisions):
        a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
        # a + b == b + a exactly, so neighbouring triangles share their midpoints bit for bit.
        ab, bc, ca = _unit(a + b), _unit(b + c), _unit(c + a)
        corners = [(a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca)]
        triangles = np.concatenate([np.stack(corner, axis=1) for corner in corners])
    return Mesh(triangles * radius)


def fine_mesh(triangle_count: int, size_mm: float = 100.0) -> Mesh:
    """A closed cube of side `size_mm` tessellated into about `triangle_count` triangles."""
    cells = max(1, round(math.sqrt(triangle_count / 12)))
    return _grid_box((size_mm, size_mm, size_mm), cells)


def _unit_normals(triangles: np.ndarray) -> np.ndarray:
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    length = np.linalg.norm(cross, axis=1, keepdims=True)
    normals: np.ndarray = np.divide(cross, length, out=np.zeros_like(cross), where=length > 0)
    return normals


def to_binary_stl(mesh: Mesh) -> bytes:
    """The mesh as a binary STL file (single-precision, as the format stores it)."""
    records = np.zeros(len(mesh.triangles), dtype=BINARY_TRIANGLE)
    records["normal"] = _unit_normals(mesh.triangles)
    records["vertices"] = mesh.triangles
    header = b"Fabrika binary STL".ljust(80, b" ")
    return header + len(records).to_bytes(4, "little") + records.tobytes()


def to_ascii_stl(mesh: Mesh) -> bytes:
    """The mesh as an ASCII STL file holding exactly the values the binary form would."""
    # STL is single precision in both forms; rounding here makes the two forms parse equal.
    vertices = mesh.triangles.astype(np.float32).astype(np.float64).tolist()
    normals = _unit_normals(mesh.triangles).astype(np.float32).astype(np.float64).tolist()
    lines = ["solid fabrika"]
    for normal, triangle in zip(normals, vertices, strict=True):
        lines.append("  facet normal " + " ".join(map(repr, normal)))
        lines.append("    outer loop")
        lines.extend("      vertex " + " ".join(map(repr, vertex)) for vertex in triangle)
        lines.extend(["    endloop", "  endfacet"])
    lines.append("endsolid fabrika")
    return ("\n".join(lines) + "\n").encode("ascii")
