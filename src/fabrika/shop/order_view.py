"""An order as its page shows it: what may be done with it now, until when, and its
quote's lines in the page's language. Pure."""

import datetime as dt
from typing import Any

from fabrika.orders.schemas import TERMINAL, OrderStatus, OrderView
from fabrika.shop.locale import Formats, Messages
from fabrika.shop.problems import breakdown_label, reason_text

CANCELLABLE = frozenset({OrderStatus.NEW, OrderStatus.REGISTERED, OrderStatus.QUOTED})


def confirm_by(order: OrderView, *, confirm_timeout_s: float, reserve_s: float) -> dt.datetime:
    """Until when a QUOTED order may be confirmed, as the saga decides it
    (fabrika.orders.confirmation.confirm_by): from the time it was last quoted."""
    quoted_at = max(e.at for e in order.history if e.status == OrderStatus.QUOTED)
    limit = quoted_at + dt.timedelta(seconds=confirm_timeout_s)
    if order.deadline_at is None:
        return limit
    return min(limit, order.deadline_at - dt.timedelta(seconds=reserve_s))


def _name(entries: dict[str, Any], key: str) -> str:
    entry = entries.get(key)
    return str(entry["name"]) if entry else key


def quote_lines(
    quote: dict[str, Any], catalog: dict[str, Any], messages: Messages, fmt: Formats
) -> list[dict[str, Any]]:
    """Each line of a quote: a title, its total and its breakdown, money formatted."""
    currency = quote["currency"]
    processes = {p["id"]: p for p in catalog["processes"]}
    lines = []
    for line in quote["lines"]:
        title = messages(
            "quote.line_title",
            quantity=line["quantity"],
            material=_name(catalog["materials"], line["material"]),
            process=_name(processes, line["process"]),
            finish=_name(catalog["finishes"], line.get("finish", "none")),
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
    catalog: dict[str, Any],
    messages: Messages,
    *,
    confirm_timeout_s: float,
    reserve_s: float,
) -> dict[str, Any]:
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
