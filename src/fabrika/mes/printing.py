"""How long a part prints and how much material it takes, modelled the way each process
prints, from the part's measurements alone. Pure: no I/O, microseconds per part.

FDM: a part is walls (its side surface, `wall_count` lines deep), top and bottom skin (its
flat surface, a few layers deep) and sparse infill inside; each is a length of extruded
line (volume ÷ line width ÷ layer height) printed at its own speed, every straight line
paying for its acceleration and the short travel to the next one. Layers that print faster
than the minimum layer time wait for it; the first layer goes slowly, with a skirt.
SLA: every layer is exposed then peeled, a laser also scans the cross-section; resin is the
part, its supports and a base. SLS: a build's layers serve every part packed in the bed, so a
part takes its share of them by its bounding box; powder around it ages and is refreshed.

The slicer (fabrika.mes.slicing) is the reference; the parameters in printing.toml are
calibrated against it by bench/quote_accuracy.py.
"""

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from fabrika.mes.analysis import Orientation
from fabrika.mes.geometry import Measurements

PARAMETERS_PATH = Path(__file__).with_name("printing.toml")


@dataclass(frozen=True, kw_only=True)
class PartShape:
    """What the estimate needs of a part, lying as it will print (z up)."""

    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]  # x, y, then the height
    support_volume_mm3: float = 0.0

    @property
    def height_mm(self) -> float:
        return self.bbox_mm[2]

    @property
    def mean_section_mm2(self) -> float:
        return self.volume_mm3 / self.height_mm

    @property
    def flat_area_mm2(self) -> float:
        """Top and bottom faces, taken as twice the mean cross-section (exact for prisms).
        Measuring them from the face normals instead (faces within 45° of level) moved the
        bench's p90 time error on the Prusa MK4 from 7.5 % to 6.5 %: not worth a
        measurement the MES does not make."""
        return 2 * self.mean_section_mm2

    @property
    def side_area_mm2(self) -> float:
        return max(self.area_mm2 - self.flat_area_mm2, 0.0)


def part_shape(measurements: Measurements, orientation: Orientation) -> PartShape:
    """The part as it prints with `orientation.up` pointing up (see fabrika.mes.analysis)."""
    axis = "xyz".index(orientation.up[1])
    across = [size for index, size in enumerate(measurements.bbox_mm) if index != axis]
    return PartShape(
        volume_mm3=measurements.volume_mm3,
        area_mm2=measurements.area_mm2,
        bbox_mm=(across[0], across[1], measurements.bbox_mm[axis]),
        support_volume_mm3=orientation.support_volume_mm3,
    )


def layer_count(height_mm: float, layer_height_mm: float) -> int:
    # A partial layer still prints; rounding first keeps 20 / 0.2 at 100.
    return max(1, math.ceil(round(height_mm / layer_height_mm, 6)))


@dataclass(frozen=True)
class PrintEstimate:
    """One part's print time and material, and the terms they add up from (seconds and
    grams, labelled), for a readable breakdown. Setup is once per batch, not per part."""

    print_hours: float
    material_grams: float
    setup_hours: float
    time_terms: tuple[tuple[str, float], ...]
    material_terms: tuple[tuple[str, float], ...]


def _estimate(
    setup_minutes: float,
    time_terms: list[tuple[str, float]],
    volume_terms: list[tuple[str, float]],
    density_g_cm3: float,
) -> PrintEstimate:
    grams = [(label, mm3 * density_g_cm3 / 1000) for label, mm3 in volume_terms]
    return PrintEstimate(
        print_hours=sum(seconds for _, seconds in time_terms) / 3600,
        material_grams=sum(g for _, g in grams),
        setup_hours=setup_minutes / 60,
        time_terms=tuple(time_terms),
        material_terms=tuple(grams),
    )


@dataclass(frozen=True, kw_only=True)
class FdmParameters:
    """How one FDM machine prints with its production profile (speeds in mm/s)."""

    layer_height_mm: float
    line_width_mm: float
    wall_count: int
    top_layers: int
    bottom_layers: int
    infill_density: float  # 0.15 = 15 %
    # Infill path per unit of density: 1 for grid, lines and cubic, longer for gyroid.
    infill_pattern_factor: float
    outer_wall_speed: float
    inner_wall_speed: float
    infill_speed: float
    top_bottom_speed: float
    first_layer_speed: float
    slow_layers: int  # layers ramping from first_layer_speed up to full speed
    travel_speed: float
    acceleration_mm_s2: float
    # Each layer travels about this share of its outline, from the walls to the infill.
    travel_outline_share: float
    layer_change_s: float  # z move, retract and prime
    min_layer_s: float  # a layer is slowed to at least this long, so it can cool
    skirt_min_length_mm: float
    skirt_gap_mm: float
    support_density: float  # share of the space under overhangs that support fills
    support_speed: float
    setup_minutes: float
    filament_diameter_mm: float


def _stop_start_seconds(length: float, speed: float, acceleration: float) -> float:
    """What one straight move from standstill to standstill takes beyond length ÷ speed:
    v/a on a trapezoid, more on a move too short to reach `speed`."""
    if length <= 0:
        return 0.0
    if length >= speed**2 / acceleration:
        return speed / acceleration
    return 2 * math.sqrt(length / acceleration) - length / speed


@dataclass(frozen=True)
class _Hatch:
    """An area filled with parallel lines `chord` long, `spacing` apart, joined by travel."""

    length_mm: float
    chord_mm: float
    spacing_mm: float
    speed: float

    def stop_start_seconds(self, p: FdmParameters) -> float:
        if self.length_mm <= 0:
            return 0.0
        per_line = _stop_start_seconds(self.chord_mm, self.speed, p.acceleration_mm_s2)
        travel = _stop_start_seconds(self.spacing_mm, p.travel_speed, p.acceleration_mm_s2)
        travel += self.spacing_mm / p.travel_speed
        return self.length_mm / self.chord_mm * (per_line + travel)


def fdm_volumes(part: PartShape, p: FdmParameters) -> dict[str, float]:
    """Extruded volume (mm³) of walls, skin, infill and support, before the skirt."""
    volume = part.volume_mm3
    walls = min(volume, p.wall_count * p.line_width_mm * part.side_area_mm2)
    inside = volume - walls
    # Skin covers the flat faces, less the ring of walls around each layer's outline.
    perimeter = part.side_area_mm2 / part.height_mm
    skin_area = max(0.0, part.flat_area_mm2 / 2 - p.wall_count * p.line_width_mm * perimeter)
    skin = min(inside, skin_area * (p.top_layers + p.bottom_layers) * p.layer_height_mm)
    return {
        "walls": walls,
        "skin": skin,
        "infill": (inside - skin) * p.infill_density * p.infill_pattern_factor,
        "support": part.support_volume_mm3 * p.support_density,
    }


def _hatches(part: PartShape, p: FdmParameters, volumes: dict[str, float]) -> dict[str, _Hatch]:
    section = p.line_width_mm * p.layer_height_mm
    # Lines at 45° across a section average its area over its width across them: 0.71 of a
    # square's side, 0.79 of a disc's diameter, 1.41 × a thin ring's width. 1.5 × the mean
    # width inside the walls (area ÷ half the outline) is 0.75 and 1.5 of those.
    width = 2 * (part.volume_mm3 - volumes["walls"]) / max(part.side_area_mm2, 1e-9)
    chord = max(p.line_width_mm, 1.5 * width)
    sparse = p.line_width_mm / max(p.infill_density, 1e-9) / math.sqrt(2)
    support = p.line_width_mm / max(p.support_density, 1e-9) / math.sqrt(2)
    return {
        "skin": _Hatch(
            volumes["skin"] / section, chord, p.line_width_mm * math.sqrt(2), p.top_bottom_speed
        ),
        "infill": _Hatch(volumes["infill"] / section, chord, sparse, p.infill_speed),
        "support": _Hatch(volumes["support"] / section, chord, support, p.support_speed),
    }


def _at_speed_seconds(
    part: PartShape, p: FdmParameters, walls_mm3: float, hatches: dict[str, _Hatch]
) -> dict[str, float]:
    """Seconds per feature at full speed, all layers together."""
    loop = walls_mm3 / (p.line_width_mm * p.layer_height_mm) / max(p.wall_count, 1)
    layers = layer_count(part.height_mm, p.layer_height_mm)
    travel = p.travel_outline_share * part.side_area_mm2 / p.layer_height_mm
    return {
        "walls": loop / p.outer_wall_speed + loop * (p.wall_count - 1) / p.inner_wall_speed,
        **{name: hatch.length_mm / hatch.speed for name, hatch in hatches.items()},
        "travel": travel / p.travel_speed + layers * p.layer_change_s,
    }


def _first_layers_extra_seconds(part: PartShape, p: FdmParameters) -> float:
    """The first layers print slower: full at first_layer_speed, then ramping up."""
    length = part.mean_section_mm2 / p.line_width_mm  # the bottom layers are solid
    extra = 0.0
    for layer in range(p.slow_layers):
        ramp = (p.top_bottom_speed - p.first_layer_speed) * layer / p.slow_layers
        extra += length * (1 / (p.first_layer_speed + ramp) - 1 / p.top_bottom_speed)
    return extra


def _skirt_mm(part: PartShape, p: FdmParameters) -> float:
    x, y, _ = part.bbox_mm
    return max(p.skirt_min_length_mm, 2 * (x + y) + 2 * math.pi * p.skirt_gap_mm)


def estimate_fdm(part: PartShape, p: FdmParameters, *, density_g_cm3: float) -> PrintEstimate:
    """Print time and filament of one FDM part."""
    volumes = fdm_volumes(part, p)
    hatches = _hatches(part, p, volumes)
    at_speed = _at_speed_seconds(part, p, volumes["walls"], hatches)
    stops = sum(hatch.stop_start_seconds(p) for hatch in hatches.values())
    layers = layer_count(part.height_mm, p.layer_height_mm)
    # A layer quicker than the minimum layer time is slowed down to it, as the slicer
    # plans it: from the moves' lengths and speeds, before accelerations.
    cooling = max(0.0, layers * p.min_layer_s - sum(at_speed.values()))
    skirt = _skirt_mm(part, p)
    first_layers = _first_layers_extra_seconds(part, p) + skirt / p.first_layer_speed
    time_terms = [*at_speed.items(), ("starts and stops", stops), ("cooling waits", cooling)]
    time_terms.append(("first layers and skirt", first_layers))
    volumes["skirt"] = skirt * p.line_width_mm * p.layer_height_mm
    return _estimate(p.setup_minutes, time_terms, list(volumes.items()), density_g_cm3)


def filament_mm(estimate: PrintEstimate, p: FdmParameters, density_g_cm3: float) -> float:
    """The length of filament the estimate uses, as slicers report it."""
    volume = estimate.material_grams / density_g_cm3 * 1000
    return volume / (math.pi * p.filament_diameter_mm**2 / 4)


@dataclass(frozen=True, kw_only=True)
class SlaParameters:
    """How one resin printer prints: every layer is exposed, then peeled off the tank."""

    layer_height_mm: float
    exposure_s_per_layer: float  # a whole-layer exposure (LCD), or a laser's fixed part
    scan_s_per_mm2: float  # a laser tracing the cross-section; 0 for an LCD printer
    lift_peel_s_per_layer: float
    support_height_mm: float  # the part stands this far above the build plate
    raft_thickness_mm: float  # the base the supports stand on, under the part's footprint
    support_fill: float  # share of the space under overhangs the supports fill
    resin_waste: float  # resin lost beyond the print (0.05 = 5 %), in the tank and washing
    setup_minutes: float


def estimate_sla(part: PartShape, p: SlaParameters, *, density_g_cm3: float) -> PrintEstimate:
    """Print time and resin of one SLA part, on its supports and raft."""
    layers = layer_count(part.height_mm + p.support_height_mm, p.layer_height_mm)
    x, y, _ = part.bbox_mm
    volumes = [
        ("part", part.volume_mm3),
        ("supports", part.support_volume_mm3 * p.support_fill),
        ("raft", x * y * p.raft_thickness_mm),
    ]
    printed = sum(volume for _, volume in volumes)
    volumes.append(("resin waste", printed * p.resin_waste))
    time_terms = [
        ("exposure", layers * p.exposure_s_per_layer),
        ("laser scan", p.scan_s_per_mm2 * part.volume_mm3 / p.layer_height_mm),
        ("lift and peel", layers * p.lift_peel_s_per_layer),
    ]
    return _estimate(p.setup_minutes, time_terms, volumes, density_g_cm3)


@dataclass(frozen=True, kw_only=True)
class SlsParameters:
    """How one powder-bed printer prints: a build's layers serve every part in the bed."""

    layer_height_mm: float
    layer_s: float  # recoating and scanning one layer of the whole bed
    bed_mm: tuple[float, float, float]  # the usable build volume
    packing_density: float  # share of the bed the parts' bounding boxes fill in a build
    powder_refresh_ratio: float  # share of a build's unsintered powder replaced by fresh
    powder_bulk_fraction: float  # loose powder's density over the solid material's
    setup_minutes: float


def bed_share(part: PartShape, p: SlsParameters) -> float:
    """The share of a full build one part takes, by its bounding box."""
    x, y, z = part.bbox_mm
    return x * y * z / (math.prod(p.bed_mm) * p.packing_density)


def estimate_sls(part: PartShape, p: SlsParameters, *, density_g_cm3: float) -> PrintEstimate:
    """One SLS part's share of a full build's time, and its powder: the part and its share
    of the aged powder that is replaced."""
    share = bed_share(part, p)
    build_layers = layer_count(p.bed_mm[2], p.layer_height_mm)
    loose_mm3 = max(0.0, share * math.prod(p.bed_mm) - part.volume_mm3)
    volumes = [
        ("part", part.volume_mm3),
        ("powder refreshed", loose_mm3 * p.powder_bulk_fraction * p.powder_refresh_ratio),
    ]
    time_terms = [("share of the build's layers", share * build_layers * p.layer_s)]
    return _estimate(p.setup_minutes, time_terms, volumes, density_g_cm3)


ProcessParameters = FdmParameters | SlaParameters | SlsParameters
_PROCESS_PARAMETERS: dict[str, type[ProcessParameters]] = {
    "fdm": FdmParameters,
    "sla": SlaParameters,
    "sls": SlsParameters,
}


def parameter_sets(document: dict[str, Any]) -> dict[str, ProcessParameters]:
    """The parameter sets of a parsed printing.toml, by machine model ("prusa-mk4")."""
    sets: dict[str, ProcessParameters] = {}
    for process, machines in document.items():
        kind = _PROCESS_PARAMETERS[process]
        names = {f.name for f in fields(kind)}
        for model, values in machines.items():
            missing, unknown = names - values.keys(), values.keys() - names
            if missing or unknown:
                raise ValueError(
                    f"{process}.{model} in printing.toml: missing {sorted(missing)}, "
                    f"unknown {sorted(unknown)}"
                )
            if "bed_mm" in values:
                values = {**values, "bed_mm": tuple(values["bed_mm"])}
            sets[model] = kind(**values)
    return sets


def estimate(part: PartShape, p: ProcessParameters, *, density_g_cm3: float) -> PrintEstimate:
    """One part's print time and material on the machine `p` describes."""
    if isinstance(p, FdmParameters):
        return estimate_fdm(part, p, density_g_cm3=density_g_cm3)
    if isinstance(p, SlaParameters):
        return estimate_sla(part, p, density_g_cm3=density_g_cm3)
    return estimate_sls(part, p, density_g_cm3=density_g_cm3)
