"""Order lists, newest first, filtered and paged by keyset: a page costs an index range
read however deep it is, and a cursor stays valid while orders keep coming."""

import base64
import datetime as dt
import json
import uuid

from sqlalchemy import Select, and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.contracts.orders import TERMINAL, OrderStatus
from fabrika.core.errors import Problem
from fabrika.crm.models import Customer, Order
from fabrika.crm.schemas import OrderFilter, OrderPage, OrderSummary

OPEN_STATUSES = [s for s in OrderStatus if s not in TERMINAL]


def encode_cursor(order: OrderSummary) -> str:
    position = [order.submitted_at.isoformat(), str(order.id)]
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """The position a cursor stands for; a cursor nobody made here is refused (400)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        submitted_at, order_id = json.loads(raw)
        return dt.datetime.fromisoformat(submitted_at), uuid.UUID(order_id)
    except (ValueError, TypeError) as exc:
        raise Problem(
            "The cursor is not one this API gave; start again without it.",
            type="invalid-cursor",
            title="Invalid cursor",
        ) from exc


def _filtered(statement: Select[Order, str], where: OrderFilter) -> Select[Order, str]:
    conditions = []
    if where.account_id is not None:
        conditions.append(Order.account_id == where.account_id)
    if where.status is not None:
        conditions.append(Order.status == where.status)
    if where.channel is not None:
        conditions.append(Order.channel == where.channel)
    if where.created_after is not None:
        conditions.append(Order.submitted_at >= where.created_after)
    if where.created_before is not None:
        conditions.append(Order.submitted_at < where.created_before)
    if where.external_ref is not None:
        conditions.append(Order.external_ref == where.external_ref)
    if where.email is not None:
        conditions.append(Customer.email == where.email.lower())
    if where.overdue:
        conditions += [Order.status.in_(OPEN_STATUSES), Order.deadline_at < func.now()]
    return statement.where(and_(*conditions)) if conditions else statement


async def list_orders(
    session: AsyncSession, where: OrderFilter, *, limit: int, cursor: str | None = None
) -> OrderPage:
    """One page of the orders `where` lets through, newest first, then by id."""
    statement = _filtered(
        select(Order, Customer.email).join(Customer, Order.customer_id == Customer.id), where
    )
    if cursor is not None:
        submitted_at, order_id = decode_cursor(cursor)
        statement = statement.where(
            tuple_(Order.submitted_at, Order.id) < tuple_(submitted_at, order_id)
        )
    statement = statement.order_by(Order.submitted_at.desc(), Order.id.desc()).limit(limit + 1)
    rows = (await session.execute(statement)).all()
    orders = [_summary(order, email) for order, email in rows[:limit]]
    more = len(rows) > limit
    return OrderPage(orders=orders, next_cursor=encode_cursor(orders[-1]) if more else None)


def _summary(order: Order, email: str) -> OrderSummary:
    return OrderSummary(
        id=order.id,
        status=order.status,
        channel=order.channel,
        customer_email=email,
        submitted_at=order.submitted_at,
        deadline_at=order.deadline_at,
        price=float(order.price) if order.price is not None else None,
        currency=order.currency,
        reason=order.reason,
        account_id=order.account_id,
        external_ref=order.external_ref,
    )
