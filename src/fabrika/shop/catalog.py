"""The catalog as the shop's pages show it: what can be made, named in the page's language.

The MES owns the catalog; pages read it through the internal entry and keep it a few
seconds (prices on a page are informative: the quote prices an order). Names come from
the catalog's data; a message `names.<kind>.<id>` translates one where a language needs it.
"""

from typing import Any

from cachetools import TTLCache

from fabrika.core.http import ServiceClient, call_json
from fabrika.shop.locale import Messages

KEPT: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=1, ttl=5)


async def current_catalog(http: ServiceClient) -> dict[str, Any]:
    """The MES's current catalog document, read at most every few seconds per process."""
    document = KEPT.get("catalog")
    if document is None:
        document = await call_json(http, "GET", "/mes/v1/catalog", attempts=3)
        KEPT["catalog"] = document
    return document


def _name(messages: Messages, kind: str, entry: dict[str, Any]) -> str:
    return messages.get(f"names.{kind}.{entry['id']}") or str(entry["name"])


def catalog_view(document: dict[str, Any], messages: Messages) -> dict[str, Any]:
    """The catalog for a page and its script: every name in the page's language, materials
    and finishes by id, each process with its machines' build volumes (to tell whether a
    part fits) and its largest build plate (the preview's grid)."""
    processes = []
    for process in document["processes"]:
        machines = [
            {"id": m["id"], "name": m["name"], "build_volume_mm": m["build_volume_mm"]}
            for m in process["machines"]
        ]
        largest = max(machines, key=lambda m: m["build_volume_mm"][0] * m["build_volume_mm"][1])
        processes.append(
            {
                "id": process["id"],
                "name": _name(messages, "process", process),
                "materials": process["materials"],
                "finishes": process["finishes"],
                "layer_height_mm": process["layer_height_mm"],
                "machines": machines,
                "plate_mm": largest["build_volume_mm"][:2],
            }
        )
    return {
        "currency": document["currency"],
        "processes": processes,
        "materials": {
            m["id"]: {**m, "name": _name(messages, "material", m)} for m in document["materials"]
        },
        "finishes": {
            f["id"]: {**f, "name": _name(messages, "finish", f)} for f in document["finishes"]
        },
        "quantity_breaks": document.get("quantity_breaks", []),
    }
