"""The minimal B2B entry: API-key orders that confirm themselves under the account's limit."""

import time
import uuid

import httpx
import psycopg
import pytest

from tests.e2e.conftest import DEMO_KEY, backend_switch, wait_for_status
from tests.e2e.partners import b2b_instances, new_partner

pytestmark = pytest.mark.e2e
AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}


def place(
    http: httpx.Client, platform, order: dict, auth: dict = AUTH, *, entry: str | None = None
) -> httpx.Response:
    """POST /v1/orders as a partner does: with a fresh Idempotency-Key."""
    headers = {**auth, "Idempotency-Key": str(uuid.uuid4())}
    return http.post(f"{entry or platform.b2b}/v1/orders", json=order, headers=headers)


def one_part_order(material: str, size_mm: float, *, quantity: int = 1) -> dict:
    """An FDM order for one kind of cube: priced at once, within the demo account's limit."""
    item = {"material": material, "process": "fdm", "quantity": quantity}
    return {"items": [{**item, "dimensions_mm": [size_mm] * 3}]}


def test_a_b2b_order_under_the_limit_is_accepted_without_confirmation(platform) -> None:
    auth, order = AUTH, one_part_order("petg", 30, quantity=2)
    with httpx.Client(timeout=30) as http:
        response = place(http, platform, order, auth)
        assert response.status_code == 202, response.text
        status_url = platform.b2b + response.json()["status_url"]
        accepted = wait_for_status(http, status_url, {"ACCEPTED", "CANCELLED"}, headers=auth)
        order_id = response.json()["id"]
        saga = http.get(f"{platform.ops}/api/v1/ops/orders/{order_id}").json()["saga"]
    assert accepted["status"] == "ACCEPTED", accepted
    statuses = [entry["status"] for entry in accepted["history"]]
    assert statuses == ["NEW", "REGISTERED", "QUOTED", "CONFIRMED", "RESERVED", "ACCEPTED"]
    # Priced, confirmed, reserved and accepted in the saga's first and only step.
    assert [step["name"] for step in saga["steps"]] == ["open_order"]


def test_an_order_opened_while_mes_is_away_is_quoted_in_a_step_of_its_own(platform) -> None:
    """MES unreachable when the saga opens the order: the order is registered without a
    price, the saga asks MES again with retries, and the order still ends ACCEPTED."""
    auth, order = AUTH, one_part_order("pla", 12)
    set_mes = backend_switch(platform, "internal_mes")

    with httpx.Client(timeout=30) as http:
        # A first order of this kind has its items checked by MES; the check is then
        # remembered for a few seconds by that B2B instance, so the second order, sent to
        # the same instance, is taken while MES is away.
        instance = b2b_instances(platform)[0]
        first = place(http, platform, order, auth, entry=instance)
        assert first.status_code == 202, first.text
        set_mes("maint")
        try:
            second = place(http, platform, order, auth, entry=instance)
            assert second.status_code == 202, second.text
            status_url = platform.b2b + second.json()["status_url"]
            wait_for_status(http, status_url, {"REGISTERED"}, headers=auth)
        finally:
            set_mes("ready")
        accepted = wait_for_status(http, status_url, {"ACCEPTED", "CANCELLED"}, headers=auth)
        first_url = platform.b2b + first.json()["status_url"]
        assert (
            wait_for_status(http, first_url, {"ACCEPTED", "CANCELLED"}, headers=auth)["status"]
            == "ACCEPTED"
        )
        order_id = second.json()["id"]
        saga = http.get(f"{platform.ops}/api/v1/ops/orders/{order_id}").json()["saga"]
    assert accepted["status"] == "ACCEPTED", accepted
    names = [step["name"] for step in saga["steps"]]
    assert names[:2] == ["open_order", "quote_in_mes"], names
    assert names[-1] == "accept_into_production", names


def test_an_acceptance_the_crm_cannot_record_at_once_is_recorded_when_it_is_back(
    platform,
) -> None:
    """CRM unreachable just after MES accepted: nothing undoes what production has; the
    saga records RESERVED and ACCEPTED in a step of its own once the CRM answers again."""
    auth, order = AUTH, one_part_order("pla", 14)
    set_crm = backend_switch(platform, "internal_crm")

    with httpx.Client(timeout=30) as http:
        catalog = http.get(f"{platform.shop}/api/v1/catalog").json()
        machines = [
            machine["id"]
            for process in catalog["processes"]
            if process["id"] == "fdm"
            for machine in process["machines"]
        ]
        # MES books a machine under its advisory lock: holding the FDM machines' locks
        # stops the acceptance between the order's registration and its recording.
        with psycopg.connect(platform.env["FABRIKA_DATABASE_URL"], autocommit=True) as db:
            for machine in machines:
                db.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"mes:{machine}",))
            response = place(http, platform, order, auth)
            assert response.status_code == 202, response.text
            status_url = platform.b2b + response.json()["status_url"]
            wait_for_status(http, status_url, {"CONFIRMED"}, headers=auth)
            set_crm("maint")
            db.execute("SELECT pg_advisory_unlock_all()")
            try:
                # MES accepts, and the first step ends without the CRM's record of it.
                first_step_recorded(db, response.json()["id"])
            finally:
                set_crm("ready")
        accepted = wait_for_status(http, status_url, {"ACCEPTED", "CANCELLED"}, headers=auth)
        saga = http.get(f"{platform.ops}/api/v1/ops/orders/{response.json()['id']}").json()
    assert accepted["status"] == "ACCEPTED", accepted
    statuses = [entry["status"] for entry in accepted["history"]]
    assert statuses == ["NEW", "REGISTERED", "QUOTED", "CONFIRMED", "RESERVED", "ACCEPTED"]
    assert [step["name"] for step in saga["saga"]["steps"]] == ["open_order", "record_accepted"]


def first_step_recorded(db: psycopg.Connection, order_id: str, timeout_s: float = 60) -> None:
    """Wait until the saga's first step (open_order) has ended and DBOS recorded it."""
    deadline = time.monotonic() + timeout_s
    query = (
        "SELECT 1 FROM dbos.operation_outputs WHERE workflow_uuid = %s "
        "AND function_name LIKE '%%open_order' AND completed_at_epoch_ms IS NOT NULL"
    )
    while db.execute(query, (f"order-{order_id}",)).fetchone() is None:
        assert time.monotonic() < deadline, "the saga's first step never ended"
        time.sleep(0.1)


def test_a_b2b_order_over_the_limit_is_cancelled_with_the_reason(platform) -> None:
    auth = {"Authorization": f"Bearer {DEMO_KEY}"}
    order = {
        "items": [
            {
                "material": "pa12",
                "process": "sls",
                "quantity": 500,
                "dimensions_mm": [300, 300, 300],
            }
        ]
    }
    with httpx.Client(timeout=30) as http:
        response = place(http, platform, order, auth)
        status_url = platform.b2b + response.json()["status_url"]
        cancelled = wait_for_status(http, status_url, {"ACCEPTED", "CANCELLED"}, headers=auth)
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["reason_code"] == "over_price_limit"


def test_a_missing_or_wrong_key_is_unauthorized(platform) -> None:
    order = {
        "items": [
            {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}
        ]
    }
    with httpx.Client(timeout=30) as http:
        missing = http.post(f"{platform.b2b}/v1/orders", json=order)
        wrong = http.post(
            f"{platform.b2b}/v1/orders",
            json=order,
            headers={"Authorization": "Bearer fab_not-a-key-at-all"},
        )
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == "Bearer"


def test_another_accounts_order_is_not_found(platform) -> None:
    with httpx.Client(timeout=30) as http:
        other = new_partner(http, platform).auth
        placed = place(http, platform, one_part_order("pla", 11))
        assert placed.status_code == 202, placed.text
        url = platform.b2b + placed.json()["status_url"]
        own = wait_for_status(http, url, {"REGISTERED", "QUOTED", "ACCEPTED"}, headers=AUTH)
        theirs = http.get(url, headers=other)
        unknown = http.get(f"{platform.b2b}/v1/orders/{uuid.uuid4()}", headers=other)
    assert own["id"] == placed.json()["id"]
    assert theirs.status_code == unknown.status_code == 404
    # Nothing tells the other account that the order exists: the same answer as for none.
    assert theirs.json()["title"] == unknown.json()["title"]
    assert "customer_email" not in theirs.text and "Demo" not in theirs.text


def test_shop_routes_are_not_reachable_on_the_b2b_entry(platform) -> None:
    with httpx.Client(timeout=30) as http:
        response = http.get(f"{platform.b2b}/api/v1/catalog")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
