"""Slicing an FDM part with CuraEngine: the slicer's own print time and filament.

The fast estimate (fabrika.mes.printing) prices every part; a slice is the slower, exact
figure for a part that is worth it. A slice runs under a time limit and a size limit; when
it fails, SliceFailed says why and the caller keeps the fast estimate.

CuraEngine's command line evaluates none of Cura's setting formulas, so each machine's
settings are kept fully resolved as data (cura/<machine>.json, made by
fabrika.mes.cura_profiles). The g-code file's header keeps placeholders on the command line
(";TIME:6666"); the figures are read from what CuraEngine prints with -v.
"""

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fabrika.mes.geometry import Mesh, ModelError, parse_stl, to_binary_stl

ENGINE_ENV = "FABRIKA_CURA_ENGINE"
DEFINITIONS_ENV = "FABRIKA_CURA_DEFINITIONS"
# `make system` extracts the two definition files from Debian's cura package here, so the
# Cura GUI and its Qt dependencies are never installed.
PROJECT_DEFINITIONS = Path(__file__).resolve().parents[3] / ".cache" / "cura" / "definitions"
# Where the definitions are when Debian's cura package is installed after all.
SYSTEM_DEFINITIONS = Path("/usr/share/cura/resources/definitions")
PROFILES_DIR = Path(__file__).with_name("cura")
DEFINITION_FILES = ("fdmprinter.def.json", "fdmextruder.def.json")

_PRINT_SECONDS = re.compile(rb"^Print time \(s\): (\d+)", re.MULTILINE)
_FILAMENT_METRES = re.compile(rb"^;Filament used: ([0-9.eE+-]+)m", re.MULTILINE)
_LAYER_COUNT = re.compile(rb"^Layer count: (\d+)", re.MULTILINE)
_SETTINGS_ECHO = b"[WARNING]  -s "  # CuraEngine repeats every setting on one long line


class CuraNotFound(RuntimeError):
    """CuraEngine or Cura's printer definitions are not on this machine."""


class SliceFailed(Exception):
    """A slice that gave no figures. `code` is one of: too_large, bad_model, timeout,
    engine_error, no_estimate; str() says what happened."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Cura:
    """Where CuraEngine and the printer definitions it loads with -j are."""

    engine: Path
    definitions: Path

    @property
    def printer_definition(self) -> Path:
        return self.definitions / DEFINITION_FILES[0]


def find_cura(engine: str | None = None, definitions: str | None = None) -> Cura:
    """CuraEngine and the definitions folder: the arguments, else $FABRIKA_CURA_ENGINE and
    $FABRIKA_CURA_DEFINITIONS, else CuraEngine on PATH and the project's .cache/cura or
    Debian's cura package. A location given explicitly is the only one tried."""
    binary = engine or os.environ.get(ENGINE_ENV) or shutil.which("CuraEngine")
    if binary is None or not os.access(binary, os.X_OK):
        raise CuraNotFound(
            f"CuraEngine not found ({binary or 'not on PATH'}); `make system` installs "
            f"Debian's cura-engine, or set ${ENGINE_ENV} to the binary."
        )
    given = definitions or os.environ.get(DEFINITIONS_ENV)
    folders = [Path(given)] if given else [PROJECT_DEFINITIONS, SYSTEM_DEFINITIONS]
    for folder in folders:
        if all((folder / name).is_file() for name in DEFINITION_FILES):
            return Cura(engine=Path(binary), definitions=folder)
    raise CuraNotFound(
        f"Cura's printer definitions ({', '.join(DEFINITION_FILES)}) are not in "
        f"{' nor '.join(map(str, folders))}; `make system` extracts them from Debian's cura "
        f"package into .cache/cura, or set ${DEFINITIONS_ENV} to a folder holding them."
    )


@dataclass(frozen=True)
class CuraProfile:
    """One machine's resolved settings: global, the extruder train's, and per variant (a
    material, support) the settings it changes."""

    name: str
    global_settings: Mapping[str, Any]
    extruder_settings: Mapping[str, Any]
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def settings(self, variants: Sequence[str] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
        """(global, extruder) settings with the named variants applied in order."""
        unknown = [name for name in variants if name not in self.variants]
        if unknown:
            raise KeyError(f"{self.name} has no variants {unknown}; it has {sorted(self.variants)}")
        chosen = dict(self.global_settings)
        extruder = dict(self.extruder_settings)
        for name in variants:
            for key, value in self.variants[name].items():
                (extruder if key in extruder else chosen)[key] = value
        return chosen, extruder

    @property
    def filament_diameter_mm(self) -> float:
        return float(self.extruder_settings["material_diameter"])


def load_profile(machine_id: str, folder: Path = PROFILES_DIR) -> CuraProfile:
    """The resolved settings of one machine, e.g. "prusa-mk4" (cura/prusa-mk4.json)."""
    document = json.loads((folder / f"{machine_id}.json").read_text())
    return CuraProfile(
        name=document["name"],
        global_settings=document["global"],
        extruder_settings=document["extruder"],
        variants=document.get("variants", {}),
    )


@dataclass(frozen=True)
class SliceLimits:
    """What a slice may cost: wall time, and the model's size before it is tried."""

    timeout_s: float = 30.0
    max_triangles: int = 300_000
    max_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class SliceResult:
    """CuraEngine's figures for one part."""

    print_seconds: float
    filament_mm: float
    filament_grams: float
    layers: int
    slice_seconds: float

    @property
    def print_hours(self) -> float:
        return self.print_seconds / 3600


def slice_stl(
    stl: bytes,
    profile: CuraProfile,
    *,
    cura: Cura,
    density_g_cm3: float,
    variants: Sequence[str] = (),
    limits: SliceLimits = SliceLimits(),
    threads: int = 1,
) -> SliceResult:
    """Slice one part with a machine's profile; raise SliceFailed saying why not.

    The part prints the way up it lies in the file (the profile centres it on the bed).
    One thread by default: quote workers already run side by side on shared cores.
    """
    mesh = _checked_mesh(stl, limits)
    global_settings, extruder_settings = profile.settings(variants)
    with tempfile.TemporaryDirectory(prefix="fabrika-slice-") as folder:
        model = Path(folder) / "model.stl"
        model.write_bytes(to_binary_stl(mesh))
        command = [str(cura.engine), "slice", "-v", f"-m{threads}"]
        command += ["-j", str(cura.printer_definition), *_setting_args(global_settings)]
        command += ["-e0", *_setting_args(extruder_settings)]
        command += ["-l", str(model), "-o", str(Path(folder) / "model.gcode")]
        started = time.monotonic()
        log = _run(command, limits.timeout_s, cwd=folder)
        elapsed = time.monotonic() - started
    return _parse_log(log, profile.filament_diameter_mm, density_g_cm3, elapsed)


def _checked_mesh(stl: bytes, limits: SliceLimits) -> Mesh:
    if len(stl) > limits.max_bytes:
        raise SliceFailed(
            "too_large", f"The model has {len(stl):,} bytes; we slice at most {limits.max_bytes:,}."
        )
    try:
        return parse_stl(stl, max_triangles=limits.max_triangles)
    except ModelError as error:
        code = "too_large" if error.code == "too_many_triangles" else "bad_model"
        raise SliceFailed(code, str(error)) from error


def _setting_args(settings: Mapping[str, Any]) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={_text(value)}")]


def _text(value: Any) -> str:
    """A setting as CuraEngine reads it: JSON-ish lowercase booleans and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _run(command: list[str], timeout_s: float, *, cwd: str) -> bytes:
    """CuraEngine's log (stderr); on timeout subprocess.run kills the engine and reaps it."""
    try:
        finished = subprocess.run(
            command, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        raise SliceFailed(
            "timeout", f"CuraEngine did not finish within {timeout_s:g} s; it was stopped."
        ) from None
    except OSError as error:
        raise SliceFailed("engine_error", f"CuraEngine could not be started: {error}") from error
    if finished.returncode != 0:
        raise SliceFailed(
            "engine_error",
            f"CuraEngine exited with status {finished.returncode}: {_tail(finished.stderr)}",
        )
    return finished.stderr + finished.stdout


def _tail(log: bytes, lines: int = 5) -> str:
    kept = [line for line in log.splitlines() if line.strip() and _SETTINGS_ECHO not in line]
    return " | ".join(line.decode("utf-8", "replace") for line in kept[-lines:])


def _parse_log(
    log: bytes, diameter_mm: float, density_g_cm3: float, elapsed_s: float
) -> SliceResult:
    seconds = _last_number(_PRINT_SECONDS.findall(log))
    metres = _last_number(_FILAMENT_METRES.findall(log))
    layers = _last_number(_LAYER_COUNT.findall(log))
    if not seconds or not metres:
        raise SliceFailed(
            "no_estimate",
            f"CuraEngine reported no print time or filament ({layers or 0:.0f} layers): "
            f"nothing printable came out of the model with these settings. {_tail(log)}",
        )
    filament_mm = 1000 * metres
    volume_mm3 = filament_mm * math.pi * diameter_mm**2 / 4
    return SliceResult(
        print_seconds=seconds,
        filament_mm=filament_mm,
        filament_grams=volume_mm3 * density_g_cm3 / 1000,
        layers=int(layers or 0),
        slice_seconds=elapsed_s,
    )


def _last_number(matches: Iterable[bytes]) -> float | None:
    found = list(matches)
    return float(found[-1]) if found else None
