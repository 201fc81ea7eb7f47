"""What a quote leads to: the statuses recorded with it, whether a B2B account's limit
lets it confirm itself, and until when a shop customer may confirm. Pure; shared by the
saga's workflow and the step that registers an order priced at once."""

import datetime as dt

from fabrika.contracts.orders import OrderStatus, Submission
from fabrika.contracts.quotes import QuoteDocument
from fabrika.contracts.saga import PriceJson, TransitionJson
from fabrika.core.settings import get_settings


def price_of(quote: QuoteDocument) -> PriceJson:
    return {"price": quote["total"], "currency": quote["currency"]}


def over_price_limit(order: Submission, quote: QuoteDocument) -> str | None:
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


def quote_transitions(order: Submission, quote: QuoteDocument) -> list[TransitionJson]:
    """QUOTED with the price, and CONFIRMED too for a B2B order within its account's limit."""
    price = price_of(quote)
    quoted: TransitionJson = {
        "status": OrderStatus.QUOTED.value,
        "quote": quote,
        "price": price["price"],
        "currency": price["currency"],
    }
    if order.channel == "b2b" and over_price_limit(order, quote) is None:
        return [quoted, {"status": OrderStatus.CONFIRMED.value}]
    return [quoted]


def confirm_by(order: Submission, quoted_at: dt.datetime) -> dt.datetime:
    """The customer's time to confirm, ending early enough to compensate by the deadline."""
    settings = get_settings()
    return min(
        quoted_at + dt.timedelta(seconds=settings.confirm_timeout_s),
        order.deadline_at - dt.timedelta(seconds=settings.compensation_reserve_s),
    )
