import datetime as dt
import uuid

from fabrika.contracts.orders import Customer, Item, OrderStatus, Submission
from fabrika.orders.emails import email_for, order_ref


def submission(channel: str = "shop", language: str = "ru") -> Submission:
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    return Submission(
        order_id=uuid.UUID("1a2b3c4d-0000-4000-8000-000000000000"),
        channel=channel,
        customer=Customer(email="anna@example.com", name="Anna", language=language),
        items=[Item(material="pla", process="fdm", quantity=1, dimensions_mm=(1, 2, 3))],
        submitted_at=now,
        deadline_at=now + dt.timedelta(hours=1),
    )


def test_the_order_reference_is_the_ids_first_eight_hex_digits() -> None:
    assert order_ref("1a2b3c4d-0000-4000-8000-000000000000") == "1A2B3C4D"


def test_an_email_goes_to_the_customer_in_their_language() -> None:
    email = email_for(submission(), OrderStatus.REGISTERED, price={})
    assert (email["to"], email["language"], email["event"]) == (
        "anna@example.com",
        "ru",
        "registered",
    )


def test_a_cancellation_carries_its_reason_and_code() -> None:
    email = email_for(
        submission(),
        OrderStatus.CANCELLED,
        price={},
        reason="Too large.",
        reason_code="no_machine_fits",
    )
    assert email["params"]["reason"] == "Too large."
    assert email["params"]["reason_code"] == "no_machine_fits"


def test_a_partner_is_pointed_at_the_b2b_entry() -> None:
    email = email_for(
        submission("b2b"), OrderStatus.ACCEPTED, price={"price": 1.5, "currency": "EUR"}
    )
    assert "/v1/orders/" in email["params"]["status_url"]
    assert "/api/v1/orders/" not in email["params"]["status_url"]
    assert email["params"]["price"] == "1.50"


def test_a_shop_customer_is_pointed_at_the_order_s_page() -> None:
    email = email_for(submission("shop"), OrderStatus.REGISTERED, price=None)
    assert email["params"]["status_url"].endswith("/orders/1a2b3c4d-0000-4000-8000-000000000000")
    assert "/api/" not in email["params"]["status_url"]


def test_shop_customers_are_not_emailed_about_internal_steps() -> None:
    for status in (OrderStatus.CONFIRMED, OrderStatus.RESERVED):
        assert email_for(submission("shop"), status, price={}) is None
    assert email_for(submission("shop"), OrderStatus.QUOTED, price={}) is not None


def test_partners_are_emailed_only_when_an_order_ends() -> None:
    emailed = {
        status
        for status in OrderStatus
        if email_for(submission("b2b"), status, price={"price": 1.0, "currency": "EUR"})
    }
    assert emailed == {OrderStatus.ACCEPTED, OrderStatus.CANCELLED}
