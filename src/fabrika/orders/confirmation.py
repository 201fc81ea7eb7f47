"""What a quote leads to: the statuses recorded with it, whether a B2B account's limit
lets it confirm itself, and until when a shop customer may confirm. Pure; shared by the
saga's workflow and the step that registers an order priced at once."""

import datetime as dt
from typing import Any

from fabrika.core.settings import get_settings
from fabrika.orders.schemas import OrderStatus, Submission


def price_of(quote: dict[str, Any]) -> dict[str, Any]:
    return {"price": quote["total"], "currency": quote["currency"]}


def over_price_limit(order: Submission, quote: dict[str, Any]) -> str | None:
    """Why a B2B order's price may not confirm itself, or None when it may (or is a shop's)."""
    if order.channel != "b2b":
        return None
    limit = order.price_limit or 0.0
    if quote["total"] <= limit:
        return None
    return (
        f"The quoted price {quote['total']:.2f} {quote['currency']} is over your account's "
        f"limit of {limit:.2f} {quote['currency']} for automatic confirmation."
    )


def quote_transitions(order: Submission, quote: dict[str, Any]) -> list[dict[str, Any]]:
    """QUOTED with the price, and CONFIRMED too for a B2B order within its account's limit."""
    quoted = {"status": OrderStatus.QUOTED, "quote": quote, **price_of(quote)}
    if order.channel == "b2b" and over_price_limit(order, quote) is None:
        return [quoted, {"status": OrderStatus.CONFIRMED}]
    return [quoted]


def confirm_by(order: Submission, quoted_at: dt.datetime) -> dt.datetime:
    """The customer's time to confirm, ending early enough to compensate by the deadline."""
    settings = get_settings()
    return min(
        quoted_at + dt.timedelta(seconds=settings.confirm_timeout_s),
        order.deadline_at - dt.timedelta(seconds=settings.compensation_reserve_s),
    )
