"""The CRM's order registry and accounts against the real Postgres."""

import datetime as dt
import uuid

import pytest

from fabrika.crm.app import build
from fabrika.platform.seed import demo_b2b_key

pytestmark = pytest.mark.usefixtures("database")


def registration(email: str | None = None) -> dict:
    return {
        "channel": "shop",
        "customer": {
            "email": email or f"{uuid.uuid4().hex[:8]}@example.com",
            "name": "Ivan",
            "language": "ru",
        },
        "items": [
            {"material": "pla", "process": "fdm", "quantity": 2, "dimensions_mm": [20, 30, 40]}
        ],
        "submitted_at": dt.datetime.now(dt.UTC).isoformat(),
    }


@pytest.fixture
async def crm(serve):
    async with serve(build()) as client:
        yield client


async def test_registering_an_order_records_new_then_registered(crm) -> None:
    order_id = uuid.uuid4()
    response = await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "REGISTERED"
    assert [h["status"] for h in body["history"]] == ["NEW", "REGISTERED"]


async def test_registering_twice_keeps_one_order(crm) -> None:
    order_id = uuid.uuid4()
    first = (await crm.put(f"/crm/v1/orders/{order_id}", json=registration())).json()
    second = (await crm.put(f"/crm/v1/orders/{order_id}", json=registration())).json()
    assert first["history"] == second["history"]


async def test_a_repeated_transition_is_recorded_once(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    transition = {"status": "QUOTED", "price": 12.5, "currency": "EUR"}
    await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=transition)
    body = (await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=transition)).json()
    assert [h["status"] for h in body["history"]] == ["NEW", "REGISTERED", "QUOTED"]
    assert body["price"] == 12.5


async def test_an_illegal_transition_is_a_conflict_naming_the_status(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    response = await crm.post(f"/crm/v1/orders/{order_id}/transitions", json={"status": "ACCEPTED"})
    assert response.status_code == 409
    assert response.json()["current_status"] == "REGISTERED"


async def test_a_cancelled_order_keeps_its_reason(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    cancel = {"status": "CANCELLED", "reason": "Too large.", "reason_code": "no_machine_fits"}
    body = (await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=cancel)).json()
    assert (body["status"], body["reason"], body["reason_code"]) == (
        "CANCELLED",
        "Too large.",
        "no_machine_fits",
    )
    assert body["history"][-1]["reason"] == "Too large."


async def test_one_customer_per_email_address(crm) -> None:
    email = f"{uuid.uuid4().hex[:8]}@Example.com"
    first, second = uuid.uuid4(), uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{first}", json=registration(email))
    await crm.put(f"/crm/v1/orders/{second}", json=registration(email.lower()))
    a = (await crm.get(f"/crm/v1/orders/{first}")).json()
    b = (await crm.get(f"/crm/v1/orders/{second}")).json()
    assert a["customer_email"] == b["customer_email"] == email.lower()


async def test_an_unknown_order_is_not_found(crm) -> None:
    response = await crm.get(f"/crm/v1/orders/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_demo_key_authenticates_and_a_wrong_key_does_not(crm, settings) -> None:
    ok = await crm.post("/crm/v1/accounts/authenticate", json={"api_key": demo_b2b_key(settings)})
    assert ok.status_code == 200 and ok.json()["price_limit"] > 0
    bad = await crm.post("/crm/v1/accounts/authenticate", json={"api_key": "fab_wrong-key-123"})
    assert bad.status_code == 401
