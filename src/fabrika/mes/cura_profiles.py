"""Fully resolved CuraEngine settings per machine, generated from a few chosen values.

The CuraEngine command line loads each setting's `default_value` from fdmprinter.def.json
and evaluates none of the `value` formulas that the Cura front end evaluates: a chosen
layer height of 0.2 mm would leave `infill_sparse_thickness` at its default 0.1 mm, and a
chosen infill density would leave `infill_line_distance` at 2 mm. This module evaluates
those formulas once, for a single-extruder machine, and writes the result as data
(`cura/<machine>.json`), so slicing passes every derived value explicitly and a reviewer
can read what the machine prints with.

Regenerate after changing `cura/profiles.toml`:
    python -m fabrika.mes.cura_profiles [definitions folder]
"""

import ast
import json
import math
import sys
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from fabrika.mes.slicing import find_cura

PROFILES_DIR = Path(__file__).with_name("cura")
CHOICES_FILE = PROFILES_DIR / "profiles.toml"
# Builtins the definition formulas use; nothing else is reachable from them.
_FORMULA_BUILTINS: dict[str, Any] = {
    "abs": abs, "all": all, "any": any, "float": float, "int": int, "len": len,
    "map": map, "max": max, "min": min, "round": round, "str": str, "sum": sum,
}  # fmt: skip
_CASTS: dict[str, Callable[[Any], Any]] = {
    "float": float, "int": int, "bool": bool, "str": str, "enum": str,
    "extruder": lambda value: str(int(value)), "optional_extruder": lambda value: str(int(value)),
}  # fmt: skip


def load_definitions(folder: Path) -> dict[str, dict[str, Any]]:
    """Every setting of fdmprinter.def.json, then fdmextruder.def.json, by key.

    With one extruder the extruder train's definitions win: they are what CuraEngine
    reads for the nozzle and the filament.
    """
    settings: dict[str, dict[str, Any]] = {}
    for name in ("fdmprinter.def.json", "fdmextruder.def.json"):
        document = json.loads((folder / name).read_text())
        for category in document["settings"].values():
            _flatten(category.get("children", {}), settings)
    return settings


def extruder_keys(folder: Path) -> set[str]:
    """The settings the extruder train holds itself (CuraEngine's `-e0` scope)."""
    document = json.loads((folder / "fdmextruder.def.json").read_text())
    found: dict[str, dict[str, Any]] = {}
    for category in document["settings"].values():
        _flatten(category.get("children", {}), found)
    return set(found)


def _flatten(children: Mapping[str, Any], into: dict[str, dict[str, Any]]) -> None:
    for key, definition in children.items():
        into[key] = definition
        _flatten(definition.get("children", {}), into)


class _Resolver:
    """Evaluates the settings' `value` formulas on demand, each once, chosen values first."""

    def __init__(self, definitions: Mapping[str, dict[str, Any]], chosen: Mapping[str, Any]):
        self._definitions = definitions
        self._values: dict[str, Any] = dict(chosen)
        self._resolving: list[str] = []
        self._functions: dict[str, Any] = {
            "math": math,
            # One extruder: every per-extruder lookup is the setting itself.
            "resolveOrValue": self.value,
            "extruderValue": lambda _extruder, key: self.value(key),
            "extruderValues": lambda key: [self.value(key)],
            "defaultExtruderPosition": lambda: "0",
        }

    def value(self, key: str) -> Any:
        if key not in self._values:
            if key in self._resolving:
                raise ValueError(f"settings refer to each other in a loop: {self._resolving}")
            self._resolving.append(key)
            self._values[key] = self._evaluate(key)
            self._resolving.pop()
        return self._values[key]

    def _evaluate(self, key: str) -> Any:
        definition = self._definitions[key]
        formula = definition.get("value")
        if formula is None:
            return definition.get("default_value")
        if not isinstance(formula, str):
            return formula
        tree = ast.parse(formula.strip(), mode="eval")
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        scope = {name: self.value(name) for name in names if name in self._definitions}
        scope |= self._functions
        # The formulas are Cura's own definition file, read from the Debian package; they
        # see only the settings, math and a few builtins.
        result = eval(compile(tree, f"<{key}>", "eval"), {"__builtins__": _FORMULA_BUILTINS}, scope)
        cast = _CASTS.get(definition.get("type", ""))
        return cast(result) if cast is not None and result is not None else result


def resolve(definitions: Mapping[str, dict[str, Any]], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting's value for a single-extruder machine, given the chosen ones."""
    unknown = set(chosen) - set(definitions)
    if unknown:
        raise KeyError(f"not CuraEngine settings: {sorted(unknown)}")
    resolver = _Resolver(definitions, chosen)
    return {key: resolver.value(key) for key in definitions}


def setting_version(folder: Path) -> int:
    """The definitions' settings generation (19 for Cura 4.13): profiles are tied to it."""
    document = json.loads((folder / "fdmprinter.def.json").read_text())
    return int(document["metadata"]["setting_version"])


def build_profile(
    definitions: Mapping[str, dict[str, Any]],
    extruder: set[str],
    machine: Mapping[str, Any],
) -> dict[str, Any]:
    """One machine's resolved settings: the global ones that differ from the definitions'
    defaults (CuraEngine loads those itself), all of the extruder train's, and for each
    variant (a material, support on) the settings it changes."""
    base = resolve(definitions, machine["settings"])
    variants = {
        name: _changed(base, resolve(definitions, machine["settings"] | overrides))
        for name, overrides in machine["variants"].items()
    }
    defaults = {key: definition.get("default_value") for key, definition in definitions.items()}
    return {
        "name": machine["name"],
        "global": _changed(defaults, base),
        "extruder": {key: base[key] for key in sorted(extruder)},
        "variants": variants,
    }


def _changed(base: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in other.items() if base[key] != value}


def generate_profiles(
    definitions_folder: Path, choices_file: Path = CHOICES_FILE
) -> dict[str, dict[str, Any]]:
    """Every machine of the choices file, resolved, by machine id ("prusa-mk4")."""
    definitions = load_definitions(definitions_folder)
    extruder = extruder_keys(definitions_folder)
    choices = tomllib.loads(choices_file.read_text())
    profiles = {}
    for machine_id, machine in choices["machines"].items():
        chosen = {
            "name": machine["name"],
            "settings": choices["common"] | machine["settings"],
            "variants": choices.get("variants", {}) | machine.get("variants", {}),
        }
        profiles[machine_id] = {
            "generated_by": "python -m fabrika.mes.cura_profiles, from cura/profiles.toml",
            "setting_version": setting_version(definitions_folder),
            **build_profile(definitions, extruder, chosen),
        }
    return profiles


def main() -> None:
    """Regenerate cura/<machine>.json from cura/profiles.toml."""
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else find_cura().definitions
    for machine_id, profile in generate_profiles(folder).items():
        path = PROFILES_DIR / f"{machine_id}.json"
        path.write_text(json.dumps(profile, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
