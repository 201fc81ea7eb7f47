import datetime as dt
import uuid

from fabrika.contracts.orders import Customer, Item, OrderStatus, Submission
from fabrika.core.settings import get_settings
from fabrika.orders.confirmation import confirm_by, over_price_limit, quote_transitions

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
QUOTE = {"total": 120.0, "currency": "EUR", "lines": []}


def order(channel: str, *, price_limit: float | None = None, deadline_h: float = 48) -> Submission:
    return Submission(
        order_id=uuid.uuid4(),
        channel=channel,
        customer=Customer(email="buyer@example.com", name="Buyer", language="en"),
        items=[Item(material="pla", process="fdm", quantity=1, dimensions_mm=(1, 2, 3))],
        submitted_at=NOW,
        deadline_at=NOW + dt.timedelta(hours=deadline_h),
        price_limit=price_limit,
    )


def statuses(transitions: list[dict]) -> list[OrderStatus]:
    return [t["status"] for t in transitions]


def test_a_b2b_quote_within_the_limit_confirms_itself() -> None:
    within = order("b2b", price_limit=120.0)
    assert over_price_limit(within, QUOTE) is None
    transitions = quote_transitions(within, QUOTE)
    assert statuses(transitions) == [OrderStatus.QUOTED, OrderStatus.CONFIRMED]
    assert (transitions[0]["price"], transitions[0]["currency"]) == (120.0, "EUR")


def test_a_b2b_quote_over_the_limit_is_only_quoted_and_says_why() -> None:
    over = order("b2b", price_limit=100.0)
    assert statuses(quote_transitions(over, QUOTE)) == [OrderStatus.QUOTED]
    reason = over_price_limit(over, QUOTE)
    assert reason is not None and "120.00 EUR" in reason and "100.00 EUR" in reason


def test_a_b2b_account_without_a_limit_confirms_nothing_by_itself() -> None:
    assert over_price_limit(order("b2b"), QUOTE) is not None


def test_a_shop_quote_waits_for_the_customer() -> None:
    shop = order("shop")
    assert over_price_limit(shop, QUOTE) is None
    assert statuses(quote_transitions(shop, QUOTE)) == [OrderStatus.QUOTED]


def test_the_time_to_confirm_ends_before_the_compensation_reserve() -> None:
    settings = get_settings()
    roomy = order("shop", deadline_h=24 * 30)
    assert confirm_by(roomy, NOW) == NOW + dt.timedelta(seconds=settings.confirm_timeout_s)
    tight = order("shop", deadline_h=1)
    reserve = dt.timedelta(seconds=settings.compensation_reserve_s)
    assert confirm_by(tight, NOW) == tight.deadline_at - reserve
