"""The operators' entry: order lists, the overdue list, saga timelines, cancel and retry."""

import uuid

import psycopg
import pytest

from tests.e2e.conftest import wait_for_mail, wait_for_status

pytestmark = pytest.mark.e2e


def place(platform, http) -> tuple[str, str, str]:
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    order = {
        "customer": {"email": email, "name": "O", "language": "en"},
        "items": [
            {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}
        ],
    }
    url = (
        platform.shop + http.post(f"{platform.shop}/api/v1/orders", json=order).json()["status_url"]
    )
    return url, url.rsplit("/", 1)[1], email


def test_an_operator_sees_the_saga_timeline_of_an_order(platform, http) -> None:
    status_url, order_id, _ = place(platform, http)
    wait_for_status(http, status_url, {"QUOTED"})
    body = http.get(f"{platform.ops}/api/v1/ops/orders/{order_id}").json()
    assert body["order"]["status"] == "QUOTED"
    assert body["saga"]["status"] == "PENDING" and body["saga"]["executor_id"].startswith("saga-")
    names = [s["name"] for s in body["saga"]["steps"]]
    # Priced at once, the order was registered with its quote in the first step.
    assert names[0] == "open_order"
    assert "quote_in_mes" not in names and "record_status" not in names
    assert all(s["outcome"] == "ok" for s in body["saga"]["steps"])


def test_orders_can_be_listed_by_status(platform, http) -> None:
    status_url, order_id, _ = place(platform, http)
    wait_for_status(http, status_url, {"QUOTED"})
    quoted = http.get(f"{platform.ops}/api/v1/ops/orders", params={"status": "QUOTED"}).json()
    assert order_id in {o["id"] for o in quoted["orders"]}
    assert all(o["status"] == "QUOTED" for o in quoted["orders"])


def test_an_operator_can_cancel_and_the_customer_is_told_why(platform, http) -> None:
    status_url, order_id, email = place(platform, http)
    wait_for_status(http, status_url, {"QUOTED"})
    response = http.post(f"{platform.ops}/api/v1/ops/orders/{order_id}/cancel")
    assert response.status_code == 202
    cancelled = wait_for_status(http, status_url, {"CANCELLED", "ACCEPTED"})
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["reason_code"] == "operator_cancelled"
    assert "operator" in wait_for_mail(http, platform.ops, email, 3)[-1]["body"]


def test_a_running_saga_cannot_be_retried(platform, http) -> None:
    status_url, order_id, _ = place(platform, http)
    wait_for_status(http, status_url, {"QUOTED"})
    response = http.post(f"{platform.ops}/api/v1/ops/orders/{order_id}/retry")
    assert response.status_code == 409
    assert response.json()["saga_status"] == "PENDING"


def test_an_open_order_past_its_deadline_is_overdue_and_one_in_time_is_not(platform, http) -> None:
    status_url, in_time, _ = place(platform, http)
    wait_for_status(http, status_url, {"QUOTED"})
    late, _ = registered_past_its_deadline(platform)

    overdue = http.get(f"{platform.ops}/api/v1/ops/orders/overdue").json()

    listed = {order["id"] for order in overdue["orders"]}
    assert late in listed and in_time not in listed
    saga_ids = {saga["workflow_id"] for saga in overdue["sagas_failed"]}
    assert f"order-{in_time}" not in saga_ids


def registered_past_its_deadline(platform) -> tuple[str, str]:
    """An order the CRM holds as REGISTERED whose deadline passed an hour ago, as an order
    left behind by a saga nobody resumed would be (written straight into the CRM)."""
    order_id, email = str(uuid.uuid4()), f"late-{uuid.uuid4().hex[:8]}@example.com"
    with psycopg.connect(platform.env["FABRIKA_DATABASE_URL"], autocommit=True) as db:
        customer = db.execute(
            "INSERT INTO crm.customers (id, email, name, language, created_at) "
            "VALUES (%s, %s, 'Late', 'en', now()) RETURNING id",
            (uuid.uuid4(), email),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO crm.orders (id, channel, customer_id, status, items, submitted_at, "
            "deadline_at, updated_at) VALUES (%s, 'shop', %s, 'REGISTERED', '[]', "
            "now() - interval '2 hours', now() - interval '1 hour', now())",
            (order_id, customer),
        )
    return order_id, email
