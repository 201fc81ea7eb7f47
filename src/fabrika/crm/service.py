"""CRM use cases. Every function takes the session first and only flushes."""

import datetime as dt
import hashlib
import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fabrika.core.errors import Conflict, NotFound
from fabrika.crm.lifecycle import TransitionRefused, check_transition
from fabrika.crm.models import Account, Customer, Order, OrderEvent
from fabrika.crm.schemas import OrderStats, OrderSummary, RegisterOrder, Transition
from fabrika.orders.schemas import TERMINAL, HistoryEntry, OrderStatus, OrderView


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


async def upsert_customer(
    session: AsyncSession, *, email: str, name: str, language: str
) -> uuid.UUID:
    """One customer per email address; the latest name and language win."""
    statement = (
        insert(Customer)
        .values(id=uuid.uuid4(), email=email.lower(), name=name, language=language)
        .on_conflict_do_update(
            index_elements=[Customer.email], set_={"name": name, "language": language}
        )
        .returning(Customer.id)
    )
    return (await session.execute(statement)).scalar_one()


async def register_order(
    session: AsyncSession, *, order_id: uuid.UUID, registration: RegisterOrder
) -> OrderView:
    """Record a submitted order (NEW, then REGISTERED). Registering twice changes nothing."""
    existing = await session.get(Order, order_id)
    if existing is None:
        customer_id = await upsert_customer(
            session,
            email=str(registration.customer.email),
            name=registration.customer.name,
            language=registration.customer.language,
        )
        session.add(
            Order(
                id=order_id,
                channel=registration.channel,
                customer_id=customer_id,
                account_id=registration.account_id,
                status=OrderStatus.REGISTERED,
                items=[item.model_dump(mode="json") for item in registration.items],
                due_date=registration.due_date,
                submitted_at=registration.submitted_at,
                deadline_at=registration.deadline_at,
            )
        )
        session.add_all(
            [
                OrderEvent(order_id=order_id, status="NEW", at=registration.submitted_at),
                OrderEvent(order_id=order_id, status="REGISTERED"),
            ]
        )
        await session.flush()
    return await get_order(session, order_id=order_id)


async def record_transition(
    session: AsyncSession, *, order_id: uuid.UUID, transition: Transition
) -> OrderView:
    """Move the order to a new status; repeating a transition already made is a no-op."""
    order = await session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    current = OrderStatus(order.status)
    if current == transition.status:
        return await get_order(session, order_id=order_id)
    try:
        check_transition(current, transition.status)
    except TransitionRefused as exc:
        raise Conflict(str(exc), current_status=current.value) from exc
    order.status = transition.status
    order.updated_at = dt.datetime.now(dt.UTC)
    if transition.price is not None:
        order.price = Decimal(str(transition.price))
        order.currency = transition.currency
    if transition.quote is not None:
        order.quote = transition.quote
    if transition.status == OrderStatus.CANCELLED:
        order.reason = transition.reason
        order.reason_code = transition.reason_code
    session.add(OrderEvent(order_id=order_id, status=transition.status, reason=transition.reason))
    await session.flush()
    return await get_order(session, order_id=order_id)


async def get_order(session: AsyncSession, *, order_id: uuid.UUID) -> OrderView:
    statement = (
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.events), selectinload(Order.customer))
        .execution_options(populate_existing=True)
    )
    order = (await session.execute(statement)).scalar_one_or_none()
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    return OrderView(
        id=order.id,
        status=OrderStatus(order.status),
        channel=order.channel,
        history=[HistoryEntry(status=e.status, at=e.at, reason=e.reason) for e in order.events],
        items=order.items,
        due_date=order.due_date,
        price=float(order.price) if order.price is not None else None,
        currency=order.currency,
        quote=order.quote,
        reason=order.reason,
        reason_code=order.reason_code,
        deadline_at=order.deadline_at,
        account_id=order.account_id,
        customer_email=order.customer.email,
    )


async def create_account(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    api_key: str,
    price_limit: Decimal,
    language: str = "en",
) -> uuid.UUID:
    """Create a B2B account, or update the one holding this key (so seeding is repeatable)."""
    statement = (
        insert(Account)
        .values(
            id=uuid.uuid4(),
            name=name,
            email=email,
            language=language,
            api_key_hash=hash_api_key(api_key),
            price_limit=price_limit,
        )
        .on_conflict_do_update(
            index_elements=[Account.api_key_hash],
            set_={"name": name, "email": email, "price_limit": price_limit},
        )
        .returning(Account.id)
    )
    return (await session.execute(statement)).scalar_one()


async def authenticate(session: AsyncSession, *, api_key: str) -> Account | None:
    statement = select(Account).where(Account.api_key_hash == hash_api_key(api_key))
    return (await session.execute(statement)).scalar_one_or_none()


OPEN_STATUSES = [s.value for s in OrderStatus if s not in TERMINAL]


async def list_orders(
    session: AsyncSession, *, status: OrderStatus | None, overdue: bool, limit: int
) -> list[OrderSummary]:
    """Orders for operators, newest first; `overdue`: still open past their deadline."""
    statement = (
        select(Order, Customer.email)
        .join(Customer, Order.customer_id == Customer.id)
        .order_by(Order.submitted_at.desc())
        .limit(limit)
    )
    if status is not None:
        statement = statement.where(Order.status == status)
    if overdue:
        statement = statement.where(Order.status.in_(OPEN_STATUSES), Order.deadline_at < func.now())
    rows = (await session.execute(statement)).all()
    return [
        OrderSummary(
            id=order.id,
            status=order.status,
            channel=order.channel,
            customer_email=email,
            submitted_at=order.submitted_at,
            deadline_at=order.deadline_at,
            price=float(order.price) if order.price is not None else None,
            currency=order.currency,
            reason=order.reason,
        )
        for order, email in rows
    ]


async def order_stats(session: AsyncSession) -> OrderStats:
    counts = await session.execute(select(Order.status, func.count()).group_by(Order.status))
    by_status = {status: count for status, count in counts.all()}
    overdue = await session.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.status.in_(OPEN_STATUSES), Order.deadline_at < func.now())
    )
    in_flight = sum(by_status.get(status, 0) for status in OPEN_STATUSES)
    return OrderStats(by_status=by_status, in_flight=in_flight, overdue=overdue or 0)
