"""What the customer is told at each status: the notify request for that email. Pure.

Customers get an email when the order needs them or ends, not at every internal step:
shop customers when the order is received, when its price waits for their confirmation,
and when it is accepted into production or cancelled; B2B partners, who follow their
orders through the API and place many, only when an order is accepted or cancelled.
Every status, emailed or not, is in the order's history that both can read.
"""

from fabrika.contracts.orders import Channel, OrderStatus, Submission
from fabrika.contracts.quotes import QuoteDocument
from fabrika.contracts.saga import EmailJson, EmailParams, PriceJson
from fabrika.core.settings import get_settings

S = OrderStatus
EMAILED: dict[Channel, frozenset[OrderStatus]] = {
    "shop": frozenset({S.REGISTERED, S.QUOTED, S.ACCEPTED, S.CANCELLED}),
    "b2b": frozenset({S.ACCEPTED, S.CANCELLED}),
}


def order_ref(order_id: str) -> str:
    """The short order number customers quote: the first 8 hex digits of the id."""
    return order_id.replace("-", "")[:8].upper()


def status_url(order: Submission) -> str:
    settings = get_settings()
    if order.channel == "b2b":
        return f"{settings.b2b_url}/v1/orders/{order.order_id}"
    return f"{settings.shop_url}/orders/{order.order_id}"  # the order's page


def email_for(
    order: Submission,
    status: OrderStatus,
    *,
    price: PriceJson | None,
    quote: QuoteDocument | None = None,
    deadline: str | None = None,
    reason: str | None = None,
    reason_code: str | None = None,
) -> EmailJson | None:
    """The notify request (recipient, language, event, parameters) for one status email,
    or None when customers of this channel are not emailed at this status."""
    if status not in EMAILED[order.channel]:
        return None
    url = status_url(order)
    params: EmailParams = {
        "name": order.customer.name,
        "order_ref": order_ref(str(order.order_id)),
        "status_url": url,
        "price": f"{price['price']:.2f}" if price else "",
        "currency": price["currency"] if price else "",
        "ready_by": quote["ready_by"] if quote else None,
        "lines": [line["summary"] for line in quote["lines"]] if quote else [],
        "deadline": deadline[:16].replace("T", " ") + " UTC" if deadline else "",
    }
    if status == OrderStatus.CANCELLED:
        params["reason"] = reason or ""
        params["reason_code"] = reason_code
        params["charged_nothing"] = True
    return {
        "to": str(order.customer.email),
        "language": order.customer.language,
        "event": status.value.lower(),
        "params": params,
    }
