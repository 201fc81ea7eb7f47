import json
from pathlib import Path
from typing import Any

import pytest

from fabrika.mes.catalog import (
    DEMO_CATALOG_PATH,
    Catalog,
    CatalogError,
    catalog_from_dict,
    catalog_to_dict,
    load_catalog,
)

MINIMAL_TOML = """
currency = "EUR"
margin = 0.2

[[materials]]
id = "pla"
name = "PLA"
density_g_cm3 = 1.24
price_per_kg = 25

[[finishes]]
id = "none"
name = "As printed"
price_per_cm2 = 0
price_per_part = 0

[[processes]]
id = "fdm"
name = "FDM"
materials = ["pla"]
finishes = ["none"]
layer_height_mm = 0.2
deposition_cm3_per_h = 12
layer_seconds = 3
setup_minutes = 15
waste_factor = 0.1

[[processes.machines]]
id = "fdm-1"
name = "Printer"
build_volume_mm = [250, 210, 210]
hourly_rate = 3

[[quantity_breaks]]
min_quantity = 50
discount = 0.1

[[quantity_breaks]]
min_quantity = 10
discount = 0.05
"""


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog(DEMO_CATALOG_PATH)


@pytest.fixture
def document(demo: Catalog) -> dict[str, Any]:
    return catalog_to_dict(demo)


def test_the_demo_catalog_is_priced_in_euros(demo: Catalog) -> None:
    assert demo.currency == "EUR"


def test_the_demo_catalog_offers_fdm_sla_and_sls(demo: Catalog) -> None:
    assert {p.id for p in demo.processes} == {"fdm", "sla", "sls"}


def test_every_demo_process_allows_no_finish_the_default_choice(demo: Catalog) -> None:
    assert all("none" in p.finishes for p in demo.processes)


def test_a_toml_file_loads_with_numbers_as_floats(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(MINIMAL_TOML)
    machine = load_catalog(path).process("fdm").machines[0]
    assert machine.build_volume_mm == (250.0, 210.0, 210.0)
    assert isinstance(machine.hourly_rate, float)


def test_quantity_breaks_are_kept_in_ascending_quantity(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(MINIMAL_TOML)
    breaks = load_catalog(path).quantity_breaks
    assert [b.min_quantity for b in breaks] == [10, 50]


def test_a_material_is_found_by_id(demo: Catalog) -> None:
    assert demo.material("pla").name == "PLA"


def test_a_process_is_found_by_id(demo: Catalog) -> None:
    assert demo.process("sla").layer_height_mm > 0


def test_a_finish_is_found_by_id(demo: Catalog) -> None:
    assert demo.finish("none").price_per_part == 0


@pytest.mark.parametrize("lookup", ["material", "process", "finish"])
def test_looking_up_an_unknown_id_raises_key_error(demo: Catalog, lookup: str) -> None:
    with pytest.raises(KeyError, match="unobtainium"):
        getattr(demo, lookup)("unobtainium")


def test_the_catalog_round_trips_through_json(demo: Catalog, document: dict[str, Any]) -> None:
    assert catalog_from_dict(json.loads(json.dumps(document))) == demo


def test_the_document_is_plain_json_with_lists_not_tuples(document: dict[str, Any]) -> None:
    assert json.loads(json.dumps(document)) == document


def test_the_document_lists_processes_with_material_ids_and_machines(
    document: dict[str, Any],
) -> None:
    fdm = next(p for p in document["processes"] if p["id"] == "fdm")
    assert fdm["materials"] == ["pla", "petg", "abs"]
    assert {"id", "name", "build_volume_mm", "hourly_rate"} <= set(fdm["machines"][0])


def test_the_document_has_every_top_level_section(document: dict[str, Any]) -> None:
    expected = {"currency", "margin", "materials", "processes", "finishes", "quantity_breaks"}
    expected.add("quote_validity_days")
    assert set(document) == expected


def test_a_process_naming_an_unknown_material_is_rejected(document: dict[str, Any]) -> None:
    document["processes"][0]["materials"].append("unobtainium")
    with pytest.raises(CatalogError, match="unobtainium"):
        catalog_from_dict(document)


def test_a_process_naming_an_unknown_finish_is_rejected(document: dict[str, Any]) -> None:
    document["processes"][0]["finishes"].append("gold-plating")
    with pytest.raises(CatalogError, match="gold-plating"):
        catalog_from_dict(document)


def test_a_process_without_machines_is_rejected(document: dict[str, Any]) -> None:
    document["processes"][0]["machines"] = []
    with pytest.raises(CatalogError, match="no machines"):
        catalog_from_dict(document)


def test_a_missing_field_is_rejected_naming_the_field(document: dict[str, Any]) -> None:
    del document["materials"][0]["density_g_cm3"]
    with pytest.raises(CatalogError, match="density_g_cm3"):
        catalog_from_dict(document)


def test_a_material_listed_twice_is_rejected(document: dict[str, Any]) -> None:
    document["materials"].append(dict(document["materials"][0]))
    with pytest.raises(CatalogError, match="twice"):
        catalog_from_dict(document)


def test_a_discount_of_the_whole_price_is_rejected(document: dict[str, Any]) -> None:
    document["quantity_breaks"][0]["discount"] = 1.0
    with pytest.raises(CatalogError, match="discount"):
        catalog_from_dict(document)


def test_a_negative_margin_is_rejected(document: dict[str, Any]) -> None:
    document["margin"] = -0.1
    with pytest.raises(CatalogError, match="margin"):
        catalog_from_dict(document)
