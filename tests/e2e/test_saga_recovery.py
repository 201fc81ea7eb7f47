"""Work of a saga worker that is gone for good is resumed by a live one."""

import time
import uuid

import psycopg
import pytest

from tests.e2e.conftest import wait_for_status

pytestmark = pytest.mark.e2e


def test_a_dead_executors_waiting_saga_is_resumed_by_a_live_worker(platform, http) -> None:
    order = {
        "customer": {
            "email": f"r-{uuid.uuid4().hex[:8]}@example.com",
            "name": "R",
            "language": "en",
        },
        "items": [
            {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}
        ],
    }
    status_url = (
        platform.shop + http.post(f"{platform.shop}/api/v1/orders", json=order).json()["status_url"]
    )
    order_id = status_url.rsplit("/", 1)[1]
    wait_for_status(http, status_url, {"QUOTED"})
    database = platform.env["FABRIKA_DATABASE_URL"]
    with psycopg.connect(database, autocommit=True) as db:
        # A worker that died for good and never comes back, holding this saga.
        db.execute(
            "UPDATE dbos.workflow_status SET executor_id = 'saga-gone-for-good' "
            "WHERE workflow_uuid = %s AND status = 'PENDING'",
            (f"order-{order_id}",),
        )
        deadline = time.monotonic() + 60
        owner = "saga-gone-for-good"
        while owner == "saga-gone-for-good" and time.monotonic() < deadline:
            time.sleep(0.5)
            owner = db.execute(
                "SELECT executor_id FROM dbos.workflow_status WHERE workflow_uuid = %s",
                (f"order-{order_id}",),
            ).fetchone()[0]
    assert owner.startswith("saga-") and owner != "saga-gone-for-good"

    assert http.post(f"{status_url}/confirm").status_code == 202
    accepted = wait_for_status(http, status_url, {"ACCEPTED", "CANCELLED"})
    assert accepted["status"] == "ACCEPTED", accepted
    statuses = [entry["status"] for entry in accepted["history"]]
    assert statuses == ["NEW", "REGISTERED", "QUOTED", "CONFIRMED", "RESERVED", "ACCEPTED"]
