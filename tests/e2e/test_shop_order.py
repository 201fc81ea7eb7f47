"""An order through the shop entry, end to end on the running platform."""

import uuid

import httpx
import pytest

from fabrika.mes.geometry import box_mesh, to_binary_stl
from tests.e2e.conftest import CONFIRM_TIMEOUT_S, wait_for_mail, wait_for_status

pytestmark = pytest.mark.e2e


@pytest.fixture
def http() -> httpx.Client:
    with httpx.Client(timeout=30) as client:
        yield client


def customer(language: str = "en") -> dict:
    return {
        "email": f"e2e-{uuid.uuid4().hex[:10]}@example.com",
        "name": "Anna",
        "language": language,
    }


def upload(http: httpx.Client, platform, x: float, y: float, z: float) -> dict:
    response = http.post(
        f"{platform.shop}/api/v1/models",
        content=to_binary_stl(box_mesh(x, y, z)),
        headers={"Content-Type": "model/stl"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_confirmed_order_is_accepted_and_the_customer_emailed_where_it_matters(
    platform, http
) -> None:
    model = upload(http, platform, 40, 30, 20)
    buyer = customer("en")
    order = {
        "customer": buyer,
        "items": [{"material": "pla", "process": "fdm", "quantity": 3, "model_id": model["id"]}],
    }
    submitted = http.post(f"{platform.shop}/api/v1/orders", json=order)
    assert submitted.status_code == 202, submitted.text
    assert submitted.headers["x-request-id"]
    status_url = platform.shop + submitted.json()["status_url"]

    quoted = wait_for_status(http, status_url, {"QUOTED", "CANCELLED"})
    assert quoted["status"] == "QUOTED", quoted
    assert quoted["price"] > 0 and quoted["currency"]

    confirmed = http.post(f"{status_url}/confirm")
    assert confirmed.status_code == 202, confirmed.text
    accepted = wait_for_status(http, status_url, {"ACCEPTED", "CANCELLED"})

    assert accepted["status"] == "ACCEPTED", accepted
    statuses = [entry["status"] for entry in accepted["history"]]
    assert statuses == ["NEW", "REGISTERED", "QUOTED", "CONFIRMED", "RESERVED", "ACCEPTED"]
    mail = wait_for_mail(http, platform.ops, buyer["email"], 3)
    subjects = [m["subject"] for m in mail]
    assert len(subjects) == 3, subjects
    for word, subject in zip(("received", "price", "accepted"), subjects, strict=True):
        assert word in subject, subjects


def test_a_model_larger_than_every_machine_ends_cancelled_with_a_reason(platform, http) -> None:
    model = upload(http, platform, 900, 900, 900)
    buyer = customer("ru")
    order = {
        "customer": buyer,
        "items": [
            {"material": "standard-resin", "process": "sla", "quantity": 1, "model_id": model["id"]}
        ],
    }
    submitted = http.post(f"{platform.shop}/api/v1/orders", json=order)
    assert submitted.status_code == 202, submitted.text
    status_url = platform.shop + submitted.json()["status_url"]

    cancelled = wait_for_status(http, status_url, {"CANCELLED", "ACCEPTED", "QUOTED"})

    assert cancelled["status"] == "CANCELLED"
    assert "machine" in cancelled["reason"]
    assert cancelled["history"][-1]["reason"] == cancelled["reason"]
    mail = wait_for_mail(http, platform.ops, buyer["email"], 2)
    assert "отменён" in mail[-1]["subject"]


def test_an_unconfirmed_order_is_cancelled_at_the_deadline(platform, http) -> None:
    buyer = customer("en")
    order = {
        "customer": buyer,
        "items": [
            {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}
        ],
    }
    submitted = http.post(f"{platform.shop}/api/v1/orders", json=order)
    status_url = platform.shop + submitted.json()["status_url"]

    cancelled = wait_for_status(
        http, status_url, {"CANCELLED", "ACCEPTED"}, timeout_s=CONFIRM_TIMEOUT_S + 30
    )

    assert cancelled["status"] == "CANCELLED"
    assert "confirm" in cancelled["reason"]
    mail = wait_for_mail(http, platform.ops, buyer["email"], 3)
    assert "cancelled" in mail[-1]["subject"]


def quoted_small_order(platform, http) -> str:
    """A one-part order by dimensions, once it is QUOTED: its status URL."""
    order = {
        "customer": customer(),
        "items": [
            {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}
        ],
    }
    submitted = http.post(f"{platform.shop}/api/v1/orders", json=order)
    status_url = platform.shop + submitted.json()["status_url"]
    wait_for_status(http, status_url, {"QUOTED"})
    return status_url


def test_a_customer_can_decline_the_quote(platform, http) -> None:
    status_url = quoted_small_order(platform, http)

    assert http.post(f"{status_url}/cancel").status_code == 202
    cancelled = wait_for_status(http, status_url, {"CANCELLED", "ACCEPTED"})

    assert cancelled["status"] == "CANCELLED"


def test_confirming_an_order_that_is_not_quoted_is_a_conflict(platform, http) -> None:
    status_url = quoted_small_order(platform, http)
    http.post(f"{status_url}/cancel")
    wait_for_status(http, status_url, {"CANCELLED"})

    response = http.post(f"{status_url}/confirm")

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "CANCELLED" in response.json()["detail"]


def test_an_invalid_order_is_refused_with_a_problem_naming_the_field(platform, http) -> None:
    order = {
        "customer": {"email": "not-an-email", "name": "", "language": "de"},
        "items": [{"material": "pla", "process": "fdm", "quantity": 0}],
    }
    response = http.post(f"{platform.shop}/api/v1/orders", json=order)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert "/customer/email" in pointers and "/items/0/quantity" in pointers


def test_a_material_the_process_cannot_use_is_refused_before_any_saga(platform, http) -> None:
    order = {
        "customer": customer(),
        "items": [
            {"material": "pa12", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}
        ],
    }
    response = http.post(f"{platform.shop}/api/v1/orders", json=order)
    assert response.status_code == 422
    assert "pa12" in response.json()["detail"]


def test_an_unknown_order_is_a_problem_not_found(platform, http) -> None:
    response = http.get(f"{platform.shop}/api/v1/orders/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_catalog_lists_materials_and_processes_with_their_materials(platform, http) -> None:
    catalog = http.get(f"{platform.shop}/api/v1/catalog").json()
    material_ids = {m["id"] for m in catalog["materials"]}
    assert "pla" in material_ids
    for process in catalog["processes"]:
        assert set(process["materials"]) <= material_ids
