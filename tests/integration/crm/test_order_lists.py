"""Order lists in the CRM: filters, and keyset pages that neither skip nor repeat."""

import datetime as dt
import uuid

import pytest

from fabrika.crm.app import build

pytestmark = pytest.mark.usefixtures("database")
T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
async def crm(serve):
    async with serve(build()) as client:
        yield client


async def account(crm) -> str:
    body = {"name": "Lists GmbH", "email": f"l-{uuid.uuid4().hex[:6]}@partner.example"}
    return (await crm.post("/crm/v1/accounts", json=body)).json()["id"]


async def register(crm, account_id: str | None, minutes: int, **extra) -> str:
    order_id = str(uuid.uuid4())
    body = {
        "channel": "b2b" if account_id else "shop",
        "customer": {"email": f"{order_id[:8]}@example.com", "name": "L", "language": "en"},
        "items": [{"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [1, 1, 1]}],
        "submitted_at": (T0 + dt.timedelta(minutes=minutes)).isoformat(),
        "account_id": account_id,
        **extra,
    }
    assert (await crm.put(f"/crm/v1/orders/{order_id}", json=body)).status_code == 200
    return order_id


async def every_page(crm, **params) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = (await crm.get("/crm/v1/orders", params=query)).json()
        pages.append([order["id"] for order in page["orders"]])
        if (cursor := page["next_cursor"]) is None:
            return pages


async def test_an_account_s_orders_come_newest_first_in_pages_without_gaps(crm) -> None:
    mine = await account(crm)
    placed = [await register(crm, mine, minutes) for minutes in range(5)]
    await register(crm, await account(crm), 2)  # someone else's, in between

    pages = await every_page(crm, account_id=mine, limit=2)

    assert pages == [placed[4:2:-1], placed[2:0:-1], placed[0:1]]


async def test_orders_at_the_same_moment_are_paged_by_id_and_none_is_lost(crm) -> None:
    mine = await account(crm)
    same_time = {await register(crm, mine, 60) for _ in range(5)}

    pages = await every_page(crm, account_id=mine, limit=2)

    listed = [order for page in pages for order in page]
    assert sorted(listed) == sorted(same_time) and len(listed) == 5
    assert listed == sorted(listed, reverse=True)


async def test_an_external_reference_finds_its_one_order(crm) -> None:
    mine = await account(crm)
    await register(crm, mine, 1, external_ref="PO-1")
    wanted = await register(crm, mine, 2, external_ref="PO-2")

    page = await crm.get("/crm/v1/orders", params={"account_id": mine, "external_ref": "PO-2"})

    assert [o["id"] for o in page.json()["orders"]] == [wanted]
    assert page.json()["orders"][0]["external_ref"] == "PO-2"


async def test_a_time_range_takes_orders_from_its_start_up_to_its_end(crm) -> None:
    mine = await account(crm)
    placed = [await register(crm, mine, minutes) for minutes in (0, 10, 20, 30)]
    params = {
        "account_id": mine,
        "created_after": (T0 + dt.timedelta(minutes=10)).isoformat(),
        "created_before": (T0 + dt.timedelta(minutes=30)).isoformat(),
    }

    page = (await crm.get("/crm/v1/orders", params=params)).json()

    assert [o["id"] for o in page["orders"]] == [placed[2], placed[1]]


async def test_orders_are_found_by_their_customer_s_email_and_status(crm) -> None:
    order_id = await register(crm, None, 5)
    email = f"{order_id[:8]}@example.com"

    found = (await crm.get("/crm/v1/orders", params={"email": email.upper()})).json()
    none = (await crm.get("/crm/v1/orders", params={"email": email, "status": "ACCEPTED"})).json()

    assert [o["id"] for o in found["orders"]] == [order_id]
    assert none["orders"] == []


async def test_a_cursor_nobody_made_is_refused(crm) -> None:
    response = await crm.get("/crm/v1/orders", params={"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["type"].endswith("invalid-cursor")
