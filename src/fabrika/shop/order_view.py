"""An order as its page shows it: what may be done with it now, until when, and its
quote's lines in the page's language. Pure."""

import datetime as dt

from typing_extensions import TypedDict

from fabrika.contracts.catalog import PublishedCatalog
from fabrika.contracts.orders import TERMINAL, OrderStatus, OrderView
from fabrika.contracts.quotes import QuoteDocument
from fabrika.shop.catalog import name_of
from fabrika.shop.locale import Formats, Messages
from fabrika.shop.problems import breakdown_label, reason_text


class QuoteLineView(TypedDict):
    title: str
    total: str
    rows: list[tuple[str, str]]


CANCELLABLE = frozenset({OrderStatus.NEW, OrderStatus.REGISTERED, OrderStatus.QUOTED})


def confirm_by(order: OrderView, *, confirm_timeout_s: float, reserve_s: float) -> dt.datetime:
    """Until when a QUOTED order may be confirmed, as the saga decides it
    (fabrika.orders.confirmation.confirm_by): from the time it was last quoted."""
    quoted_at = max(e.at for e in order.history if e.status == OrderStatus.QUOTED)
    limit = quoted_at + dt.timedelta(seconds=confirm_timeout_s)
    if order.deadline_at is None:
        return limit
    return min(limit, order.deadline_at - dt.timedelta(seconds=reserve_s))


def quote_lines(
    quote: QuoteDocument, catalog: PublishedCatalog, messages: Messages, fmt: Formats
) -> list[QuoteLineView]:
    """Each line of a quote: a title, its total and its breakdown, money formatted."""
    currency = quote["currency"]
    lines: list[QuoteLineView] = []
    for line in quote["lines"]:
        title = messages(
            "quote.line_title",
            quantity=line["quantity"],
            material=name_of(catalog, messages, "material", line["material"]),
            process=name_of(catalog, messages, "process", line["process"]),
            finish=name_of(catalog, messages, "finish", line.get("finish", "none")),
        )
        rows = [(messages("quote.unit_price"), fmt.money(line["unit_price"], currency))]
        rows += [
            (breakdown_label(row["label"], messages), fmt.money(row["amount"], currency))
            for row in line["breakdown"]
        ]
        lines.append(
            {"title": title, "total": fmt.money(line["line_total"], currency), "rows": rows}
        )
    return lines


def order_panel(
    order: OrderView,
    catalog: PublishedCatalog,
    messages: Messages,
    *,
    confirm_timeout_s: float,
    reserve_s: float,
) -> dict[str, object]:
    """The template context of an order's panel."""
    quoted = order.status == OrderStatus.QUOTED and any(
        e.status == OrderStatus.QUOTED for e in order.history
    )
    cancelled = order.status == OrderStatus.CANCELLED
    fmt = Formats(messages.language)
    return {
        "order": order,
        "confirm_by": confirm_by(order, confirm_timeout_s=confirm_timeout_s, reserve_s=reserve_s)
        if quoted
        else None,
        "cancellable": order.status in CANCELLABLE,
        "reason": reason_text(order.reason_code, order.reason, messages) if cancelled else None,
        "live": order.status not in TERMINAL,
        "lines": quote_lines(order.quote, catalog, messages, fmt) if order.quote else [],
    }
