"""Fabrika's metrics as prometheus_client registers them once every module of the package
is imported (a metric defined anywhere counts: none can be missed by a list of modules)."""

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from prometheus_client import REGISTRY, Histogram
from prometheus_client.utils import floatToGoString

import fabrika

# Alembic's migration scripts run only under Alembic.
METRIC_MODULES = tuple(
    module.name
    for module in pkgutil.walk_packages(fabrika.__path__, "fabrika.")
    if ".migrations" not in module.name
)
PREFIX = "fabrika_"
# The series each kind of family exposes (`_created` left out: never queried).
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


@cache
def import_metric_modules() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(name) for name in METRIC_MODULES)


def registered_series() -> set[str]:
    """Every series name of every Fabrika metric family in the default registry."""
    import_metric_modules()
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith(PREFIX):
            assert family.type in SUFFIXES, f"{family.name}: a {family.type} is not expected"
            names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def histogram_bounds() -> dict[str, set[str]]:
    """Each Fabrika histogram's bucket bounds, as its `le` label spells them."""
    histograms = [
        value
        for module in import_metric_modules()
        for value in vars(module).values()
        if isinstance(value, Histogram)
    ]
    # prometheus_client keeps the bounds only on the (private) parent: a labelled child
    # made to read them would add a series to the registry every test run sees.
    return {
        h.describe()[0].name: {floatToGoString(bound) for bound in h._upper_bounds}
        for h in histograms
    }
