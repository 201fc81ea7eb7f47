"""The CRM's order registry and accounts against the real Postgres."""

import datetime as dt
import uuid

import pytest

from fabrika.crm.app import build

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


async def history(crm, order_id: uuid.UUID) -> list[str]:
    return [h["status"] for h in (await crm.get(f"/crm/v1/orders/{order_id}")).json()["history"]]


async def test_registering_an_order_records_new_then_registered(crm) -> None:
    order_id = uuid.uuid4()
    response = await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    assert response.status_code == 200
    assert response.json()["status"] == "REGISTERED"
    assert await history(crm, order_id) == ["NEW", "REGISTERED"]


async def test_registering_twice_keeps_one_order(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    again = await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    assert again.status_code == 200 and again.json()["status"] == "REGISTERED"
    assert await history(crm, order_id) == ["NEW", "REGISTERED"]


async def test_a_repeated_transition_is_recorded_once(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    transition = [{"status": "QUOTED", "price": 12.5, "currency": "EUR"}]
    await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=transition)
    await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=transition)
    order = (await crm.get(f"/crm/v1/orders/{order_id}")).json()
    assert [h["status"] for h in order["history"]] == ["NEW", "REGISTERED", "QUOTED"]
    assert order["price"] == 12.5


async def test_several_transitions_are_recorded_in_order_and_a_retry_changes_nothing(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    both = [{"status": "QUOTED", "price": 3, "currency": "EUR"}, {"status": "CONFIRMED"}]
    first = await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=both)
    retry = await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=both)
    assert first.json()["status"] == retry.json()["status"] == "CONFIRMED"
    assert await history(crm, order_id) == ["NEW", "REGISTERED", "QUOTED", "CONFIRMED"]


async def test_an_order_priced_at_once_is_registered_with_its_transitions_once(crm) -> None:
    order_id = uuid.uuid4()
    body = {
        **registration(),
        "transitions": [
            {"status": "QUOTED", "price": 4.5, "currency": "EUR"},
            {"status": "CONFIRMED"},
        ],
    }
    first = await crm.put(f"/crm/v1/orders/{order_id}", json=body)
    retry = await crm.put(f"/crm/v1/orders/{order_id}", json=body)
    assert first.json()["status"] == retry.json()["status"] == "CONFIRMED"
    order = (await crm.get(f"/crm/v1/orders/{order_id}")).json()
    assert [h["status"] for h in order["history"]] == ["NEW", "REGISTERED", "QUOTED", "CONFIRMED"]
    assert order["price"] == 4.5


async def test_registering_with_an_illegal_transition_records_nothing(crm) -> None:
    order_id = uuid.uuid4()
    body = {**registration(), "transitions": [{"status": "ACCEPTED"}]}
    response = await crm.put(f"/crm/v1/orders/{order_id}", json=body)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert (await crm.get(f"/crm/v1/orders/{order_id}")).status_code == 404


async def test_an_illegal_transition_is_a_conflict_naming_the_status(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    response = await crm.post(
        f"/crm/v1/orders/{order_id}/transitions", json=[{"status": "ACCEPTED"}]
    )
    assert response.status_code == 409
    assert response.json()["current_status"] == "REGISTERED"
    assert await history(crm, order_id) == ["NEW", "REGISTERED"]


async def test_a_cancelled_order_keeps_its_reason(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    cancel = [{"status": "CANCELLED", "reason": "Too large.", "reason_code": "no_machine_fits"}]
    await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=cancel)
    body = (await crm.get(f"/crm/v1/orders/{order_id}")).json()
    assert (body["status"], body["reason"], body["reason_code"]) == (
        "CANCELLED",
        "Too large.",
        "no_machine_fits",
    )
    assert body["history"][-1]["reason"] == "Too large."


async def test_a_cancellation_request_is_reported_by_the_next_transition(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    asked = await crm.post(f"/crm/v1/orders/{order_id}/cancellation", json={"by": "operator"})
    assert asked.status_code == 200 and asked.json()["cancel_requested_by"] == "operator"
    quoted = [{"status": "QUOTED", "price": 3, "currency": "EUR"}]
    answer = await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=quoted)
    assert answer.json()["cancel_requested_by"] == "operator"


@pytest.mark.parametrize("reached", ["CONFIRMED", "RESERVED"])
async def test_a_confirmed_order_can_no_longer_be_cancelled(crm, reached: str) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    path = [{"status": s} for s in ("QUOTED", "CONFIRMED", "RESERVED")]
    path = path[: [p["status"] for p in path].index(reached) + 1]
    await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=path)
    asked = await crm.post(f"/crm/v1/orders/{order_id}/cancellation", json={"by": "customer"})
    assert asked.status_code == 409
    assert asked.json()["current_status"] == reached
    assert "production" in asked.json()["detail"]


async def test_a_quoted_order_can_still_be_cancelled(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    await crm.post(
        f"/crm/v1/orders/{order_id}/transitions",
        json=[{"status": "QUOTED", "price": 3, "currency": "EUR"}],
    )
    asked = await crm.post(f"/crm/v1/orders/{order_id}/cancellation", json={"by": "customer"})
    assert asked.status_code == 200 and asked.json()["cancel_requested_by"] == "customer"


async def test_an_ended_order_cannot_be_cancelled_and_an_unknown_one_is_not_found(crm) -> None:
    order_id = uuid.uuid4()
    await crm.put(f"/crm/v1/orders/{order_id}", json=registration())
    ended = [{"status": "CANCELLED", "reason": "Declined.", "reason_code": "customer_cancelled"}]
    await crm.post(f"/crm/v1/orders/{order_id}/transitions", json=ended)
    again = await crm.post(f"/crm/v1/orders/{order_id}/cancellation", json={"by": "customer"})
    assert again.status_code == 409 and again.json()["current_status"] == "CANCELLED"
    unknown = await crm.post(f"/crm/v1/orders/{uuid.uuid4()}/cancellation", json={"by": "customer"})
    assert unknown.status_code == 404


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
