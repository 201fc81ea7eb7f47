"""Catalog reads: ETag revalidation, invalidation on change, and life without Redis."""

import pytest

from fabrika.core.settings import get_settings
from fabrika.mes.app import build
from tests.ports import free_port

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
async def mes(serve):
    async with serve(build()) as client:
        yield client


async def test_the_catalog_carries_an_etag_and_revalidates_with_304(mes) -> None:
    first = await mes.get("/api/v1/catalog")
    assert first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = await mes.get("/api/v1/catalog", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    stale = await mes.get("/api/v1/catalog", headers={"If-None-Match": '"catalog-0"'})
    assert stale.status_code == 200


@pytest.fixture
async def petg_price(mes):
    """PETG's price now; put back after the test, so no other test sees the change."""
    catalog = (await mes.get("/api/v1/catalog")).json()
    price = next(m for m in catalog["materials"] if m["id"] == "petg")["price_per_kg"]
    yield price
    restored = await mes.patch("/api/v1/admin/catalog/materials/petg", json={"price_per_kg": price})
    assert restored.status_code == 200


async def test_no_reader_sees_the_old_price_after_a_change_returns(mes, petg_price) -> None:
    before = (await mes.get("/api/v1/catalog")).json()
    new_price = round(petg_price + 1.25, 2)

    changed = await mes.patch(
        "/api/v1/admin/catalog/materials/petg", json={"price_per_kg": new_price}
    )

    assert changed.status_code == 200 and changed.json()["version"] > before["version"]
    after = (await mes.get("/api/v1/catalog")).json()
    assert next(m for m in after["materials"] if m["id"] == "petg")["price_per_kg"] == new_price
    old_etag = f'"catalog-{before["version"]}"'
    assert (
        await mes.get("/api/v1/catalog", headers={"If-None-Match": old_etag})
    ).status_code == 200


async def test_a_whole_catalog_read_can_be_published_back_as_a_new_version(mes) -> None:
    catalog = (await mes.get("/api/v1/catalog")).json()

    published = await mes.put("/api/v1/admin/catalog", json=catalog)

    assert published.status_code == 200 and published.json()["version"] > catalog["version"]
    again = (await mes.get("/api/v1/catalog")).json()
    assert {**again, "version": 0} == {**catalog, "version": 0}


async def test_an_unknown_material_cannot_be_changed(mes) -> None:
    response = await mes.patch(
        "/api/v1/admin/catalog/materials/unobtainium", json={"price_per_kg": 10}
    )
    assert response.status_code == 404


async def test_an_inconsistent_catalog_is_refused(mes) -> None:
    catalog = (await mes.get("/api/v1/catalog")).json()
    catalog["processes"][0]["materials"].append("no-such-material")
    response = await mes.put("/api/v1/admin/catalog", json=catalog)
    assert response.status_code == 422
    assert "no-such-material" in response.json()["detail"]


async def test_the_mes_answers_from_postgres_when_redis_is_down(serve, monkeypatch) -> None:
    monkeypatch.setenv("FABRIKA_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    get_settings.cache_clear()
    try:
        async with serve(build()) as mes:
            response = await mes.get("/api/v1/catalog")
            ready = await mes.get("/readyz")
            metrics = (await mes.get("/metrics")).text
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert response.status_code == 200 and response.json()["materials"]
    assert ready.status_code == 200 and ready.json()["checks"]["redis"] is False
    assert 'fabrika_cache_requests_total{cache="mes-catalog",result="error"}' in metrics
