"""How close the fast print estimate comes to a real CuraEngine slice, and what each costs.

For generated parts (cubes, a box, cylinders, spheres, a torus, a hollow box, a thin plate,
a tall thin tower; 10 to 150 mm), per FDM machine: CuraEngine's print time and filament
against the fast estimate (fabrika.mes.printing) and the old solid-volume model (volume ÷
deposition rate + layers × layer seconds; material = volume × density × (1 + waste), with
catalog.toml's numbers), then the median and p90 of each one's absolute relative error.
Parts print without support, as sliced; two parts are then sliced with support on and
estimated with the support volume fabrika.mes.analysis measures under them.
Then: how long a real slice of a 100,000-triangle part takes, and how long the fast
estimate takes per part. Targets: p90 within 25 %, the slice at most 5 s, the fast path at
most 10 ms.

    .venv/bin/python bench/quote_accuracy.py [--machines prusa-mk4,prusa-xl]
                                             [--parts accuracy,slice,fast]
"""

import argparse
import resource
import statistics
import time
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import fabrika.mes
from fabrika.mes import shapes
from fabrika.mes.analysis import analyse
from fabrika.mes.geometry import Mesh, measure, to_binary_stl
from fabrika.mes.printing import (
    PARAMETERS_PATH,
    FdmParameters,
    PartShape,
    estimate_fdm,
    layer_count,
    parameter_sets,
    part_shape,
)
from fabrika.mes.slicing import Cura, SliceLimits, find_cura, load_profile, slice_stl

CATALOG_PATH = Path(fabrika.mes.__file__).with_name("catalog.toml")
PLA_DENSITY = 1.24  # as catalog.toml
PARTS: dict[str, Mesh] = {
    "cube 10": shapes.box(10, 10, 10),
    "cube 20": shapes.box(20, 20, 20),
    "cube 40": shapes.box(40, 40, 40),
    "cube 80": shapes.box(80, 80, 80),
    "cube 150": shapes.box(150, 150, 150),
    "box 100×50×20": shapes.box(100, 50, 20),
    "cylinder ø10 × 20": shapes.cylinder(5, 20),
    "cylinder ø30 × 40": shapes.cylinder(15, 40),
    "cylinder ø80 × 100": shapes.cylinder(40, 100, 128),
    "sphere ø20": shapes.sphere(10, 4_000),
    "sphere ø60": shapes.sphere(30, 8_000),
    "sphere ø120": shapes.sphere(60, 20_000),
    "torus ø100 × 20": shapes.torus(40, 10, 96),
    "hollow box 80, 4 mm wall": shapes.hollow_box(80, 80, 80, 4),
    "plate 150×100×2": shapes.plate(150, 100, 2),
    "tower 10×10×150": shapes.tower(10, 150),
}
SUPPORTED = ("sphere ø60", "torus ø100 × 20")


def machine_speed_ms() -> float:
    """CPU time of a fixed pure-Python loop (as bench/orders.py): this virtual machine's
    speed varies with its host's load; printed so runs can be compared."""
    started = time.process_time()
    total = 0
    for number in range(5_000_000):
        total += number
    return 1000 * (time.process_time() - started)


@dataclass(frozen=True)
class Row:
    name: str
    slice_s: float
    slice_g: float
    fast_s: float
    fast_g: float
    old_s: float
    old_g: float


def old_model(part: PartShape, catalog: dict) -> tuple[float, float]:
    """The solid-volume model the catalog prices with today: (seconds, grams)."""
    fdm = next(p for p in catalog["processes"] if p["id"] == "fdm")
    printed = part.volume_mm3 + part.support_volume_mm3 * fdm["support_fill"]
    hours = printed / 1000 / fdm["deposition_cm3_per_h"]
    seconds = (
        hours * 3600 + layer_count(part.height_mm, fdm["layer_height_mm"]) * fdm["layer_seconds"]
    )
    return seconds, printed / 1000 * PLA_DENSITY * (1 + fdm["waste_factor"])


def compare(
    name: str, mesh: Mesh, machine: str, p: FdmParameters, cura: Cura, catalog: dict, support: bool
) -> Row:
    measurements = measure(mesh)
    upright = next(o for o in analyse(mesh).orientations if o.up == "+z")
    part = part_shape(measurements, upright)
    if not support:
        part = PartShape(volume_mm3=part.volume_mm3, area_mm2=part.area_mm2, bbox_mm=part.bbox_mm)
    variants = ["support"] if support else []
    sliced = slice_stl(
        to_binary_stl(mesh),
        load_profile(machine),
        cura=cura,
        density_g_cm3=PLA_DENSITY,
        variants=variants,
        limits=SliceLimits(timeout_s=120),
    )
    fast = estimate_fdm(part, p, density_g_cm3=PLA_DENSITY)
    old_s, old_g = old_model(part, catalog)
    return Row(
        name, sliced.print_seconds, sliced.filament_grams, fast.print_hours * 3600,
        fast.material_grams, old_s, old_g,
    )  # fmt: skip


def error(estimate: float, reference: float) -> float:
    return estimate / reference - 1


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def print_rows(rows: list[Row]) -> None:
    print(
        f"  {'part':26s} {'slice min':>9s} {'g':>6s} | {'fast min':>8s} {'g':>6s} "
        f"{'Δt':>5s} {'Δg':>5s} | {'old min':>8s} {'g':>6s} {'Δt':>5s} {'Δg':>5s}"
    )
    for r in rows:
        print(
            f"  {r.name:26s} {r.slice_s / 60:9.1f} {r.slice_g:6.1f} | {r.fast_s / 60:8.1f} "
            f"{r.fast_g:6.1f} {error(r.fast_s, r.slice_s):+5.0%} {error(r.fast_g, r.slice_g):+5.0%}"
            f" | {r.old_s / 60:8.1f} {r.old_g:6.1f} {error(r.old_s, r.slice_s):+5.0%} "
            f"{error(r.old_g, r.slice_g):+5.0%}"
        )


def print_summary(label: str, rows: list[Row]) -> None:
    for model in ("fast", "old"):
        times = [abs(error(getattr(r, f"{model}_s"), r.slice_s)) for r in rows]
        grams = [abs(error(getattr(r, f"{model}_g"), r.slice_g)) for r in rows]
        print(
            f"  {label}, {model:4s} model: |error| time median {statistics.median(times):5.1%}"
            f" p90 {p90(times):5.1%}; material median {statistics.median(grams):5.1%}"
            f" p90 {p90(grams):5.1%}"
        )


def accuracy(machine: str, p: FdmParameters, cura: Cura, catalog: dict) -> None:
    print(f"\n{machine}: fast estimate and old model against CuraEngine (PLA, no support)")
    rows = [compare(n, m, machine, p, cura, catalog, False) for n, m in PARTS.items()]
    print_rows(rows)
    print_summary(f"{len(rows)} parts", rows)
    supported = [compare(n, PARTS[n], machine, p, cura, catalog, True) for n in SUPPORTED]
    print("  with support from the build plate (both models given analysis's support volume):")
    print_rows([replace(r, name=f"{r.name} + support") for r in supported])


def engine_cpu_s() -> float:
    """CPU seconds used so far by this process's finished children (the engines)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def slice_timing(cura: Cura, machine: str) -> None:
    mesh = shapes.sphere(30, 100_000)
    stl = to_binary_stl(mesh)
    profile = load_profile(machine)
    walls, cpus = [], []
    for _ in range(3):
        before = engine_cpu_s()
        run = slice_stl(stl, profile, cura=cura, density_g_cm3=PLA_DENSITY, limits=SliceLimits(60))
        walls.append(run.slice_seconds)
        cpus.append(engine_cpu_s() - before)
    print(
        f"\nA real slice of a {len(mesh.triangles):,}-triangle part (sphere ø60, {machine}, "
        f"1 thread), printing in {run.print_hours * 60:.0f} min: median of 3 "
        f"{statistics.median(walls):.2f} s wall ({', '.join(f'{t:.2f}' for t in walls)}), "
        f"{statistics.median(cpus):.2f} s CPU ({', '.join(f'{t:.2f}' for t in cpus)})"
    )


def fast_path_timing(sets: dict, mesh: Mesh) -> None:
    measurements = measure(mesh)
    upright = next(o for o in analyse(mesh).orientations if o.up == "+z")
    p = sets["prusa-mk4"]
    calls = 20_000
    started = time.perf_counter()
    for _ in range(calls):
        estimate_fdm(part_shape(measurements, upright), p, density_g_cm3=PLA_DENSITY)
    per_call_ms = (time.perf_counter() - started) / calls * 1000
    print(
        f"The fast path (part_shape + estimate_fdm, from measurements the MES already has): "
        f"{per_call_ms:.4f} ms per part, mean of {calls:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--machines", default="prusa-mk4,prusa-xl")
    parser.add_argument("--parts", default="accuracy,slice,fast")
    args = parser.parse_args()
    parts = args.parts.split(",")
    print("\nQuote accuracy: the fast print estimate against CuraEngine")
    print(f"  machine speed before: {machine_speed_ms():.0f} ms for a fixed loop (less is faster)")
    cura = find_cura()
    catalog = tomllib.loads(CATALOG_PATH.read_text())
    sets = parameter_sets(tomllib.loads(PARAMETERS_PATH.read_text()))
    for machine in args.machines.split(",") if "accuracy" in parts else []:
        parameters = sets[machine]
        assert isinstance(parameters, FdmParameters)
        accuracy(machine, parameters, cura, catalog)
    if "slice" in parts:
        slice_timing(cura, "prusa-mk4")
    if "fast" in parts:
        fast_path_timing(sets, PARTS["sphere ø60"])
    print(f"  machine speed after: {machine_speed_ms():.0f} ms for a fixed loop (less is faster)")


if __name__ == "__main__":
    main()
