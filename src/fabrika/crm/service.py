"""CRM use cases. Every function takes the session first and only flushes."""

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from pydantic import TypeAdapter
from sqlalchemy import func, literal_column, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.contracts.orders import TERMINAL, HistoryEntry, Item, OrderStatus, OrderView
from fabrika.contracts.saga import Decider
from fabrika.core.db import table_of
from fabrika.core.errors import Conflict, NotFound
from fabrika.crm.lifecycle import TransitionRefused, already_reached, check_transition
from fabrika.crm.listing import OPEN_STATUSES
from fabrika.crm.models import Customer, Order, OrderEvent
from fabrika.crm.schemas import OrderState, OrderStats, RegisterOrder, Transition

# Writes go through the tables (SQLAlchemy Core), not the mapped classes: an ORM-enabled
# UPDATE or INSERT also works out which loaded objects it changes, which these requests
# never need; recording transitions cost 18% less CPU so (A/B on two CRM instances).
ORDERS = table_of(Order)
EVENTS = table_of(OrderEvent)
CUSTOMERS = table_of(Customer)
ITEMS = TypeAdapter(list[Item])
HISTORY = TypeAdapter(list[HistoryEntry])
Columns = dict[str, object]
"""Column values for an INSERT or UPDATE through the tables."""


async def upsert_customer(
    session: AsyncSession, *, email: str, name: str, language: str
) -> uuid.UUID:
    """One customer per email address; the latest name and language win.

    A known customer whose details are unchanged is only read: writing the row would lock
    it, and a B2B account's orders (one customer) would then register one at a time.
    """
    email = email.lower()
    known = (
        await session.execute(
            select(Customer.id, Customer.name, Customer.language).where(Customer.email == email)
        )
    ).one_or_none()
    if known is not None and (known.name, known.language) == (name, language):
        known_id: uuid.UUID = known.id
        return known_id
    statement = (
        insert(Customer)
        .values(id=uuid.uuid4(), email=email, name=name, language=language)
        .on_conflict_do_update(
            index_elements=[Customer.email], set_={"name": name, "language": language}
        )
        .returning(Customer.id)
    )
    customer_id: uuid.UUID = (await session.execute(statement)).scalar_one()
    return customer_id


async def register_order(
    session: AsyncSession, *, order_id: uuid.UUID, registration: RegisterOrder
) -> OrderState:
    """Record a submitted order (NEW, then REGISTERED, then the registration's transitions)
    in one INSERT of the order and one of its events. Registering twice changes nothing
    (transitions recorded before are skipped, as on the transitions endpoint)."""
    now = dt.datetime.now(dt.UTC)
    status, changes, events = _fold(order_id, OrderStatus.REGISTERED, registration.transitions, now)
    customer_id = await upsert_customer(
        session,
        email=str(registration.customer.email),
        name=registration.customer.name,
        language=registration.customer.language,
    )
    inserted = await session.execute(
        insert(ORDERS)
        .values(
            id=order_id,
            channel=registration.channel,
            customer_id=customer_id,
            account_id=registration.account_id,
            external_ref=registration.external_ref,
            status=status,
            items=[item.model_dump(mode="json") for item in registration.items],
            due_date=registration.due_date,
            submitted_at=registration.submitted_at,
            deadline_at=registration.deadline_at,
            updated_at=now,
            **changes,
        )
        .on_conflict_do_nothing(index_elements=[ORDERS.c.id])
        .returning(ORDERS.c.id)
    )
    if inserted.scalar_one_or_none() is None:  # registered before (a retry): apply the rest
        state = await _locked_state(session, order_id)
        return await _apply_transitions(session, state, registration.transitions)
    registered: list[Columns] = [
        {"order_id": order_id, "status": "NEW", "at": registration.submitted_at, "reason": None},
        {"order_id": order_id, "status": "REGISTERED", "at": now, "reason": None},
    ]
    await session.execute(insert(EVENTS), registered + events)
    return OrderState(id=order_id, status=status)


async def _state(
    session: AsyncSession, order_id: uuid.UUID, *, for_update: bool = False
) -> OrderState | None:
    statement = select(Order.status, Order.cancel_requested_by).where(Order.id == order_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        return None
    return OrderState(id=order_id, status=row.status, cancel_requested_by=row.cancel_requested_by)


async def _locked_state(session: AsyncSession, order_id: uuid.UUID) -> OrderState:
    state = await _state(session, order_id, for_update=True)
    if state is None:
        raise NotFound(f"There is no order {order_id}.")
    return state


async def record_transitions(
    session: AsyncSession, *, order_id: uuid.UUID, transitions: Sequence[Transition]
) -> OrderState:
    """Move the order through the given statuses in order, in one transaction.

    A status the order has been through already is skipped, so a retried request changes
    nothing; one that may not follow the current status is refused whole (409).
    """
    return await _apply_transitions(session, await _locked_state(session, order_id), transitions)


async def _apply_transitions(
    session: AsyncSession, state: OrderState, transitions: Sequence[Transition]
) -> OrderState:
    """Record the transitions on an order whose row this transaction holds."""
    now = dt.datetime.now(dt.UTC)
    status, changes, events = _fold(state.id, state.status, transitions, now)
    if events:
        await session.execute(
            update(ORDERS)
            .where(ORDERS.c.id == state.id)
            .values(status=status, updated_at=now, **changes)
        )
        await session.execute(insert(EVENTS).on_conflict_do_nothing(), events)
    return state.model_copy(update={"status": status})


def _fold(
    order_id: uuid.UUID,
    current: OrderStatus,
    transitions: Sequence[Transition],
    now: dt.datetime,
) -> tuple[OrderStatus, Columns, list[Columns]]:
    """Where the transitions lead from `current`: the status, the columns they set and
    their events. A status reached already is skipped; one that may not follow is refused
    (409), and with it the whole request."""
    changes: Columns = {}
    events: list[Columns] = []
    for transition in transitions:
        if already_reached(current, transition.status):
            continue
        try:
            check_transition(current, transition.status)
        except TransitionRefused as exc:
            raise Conflict(str(exc), current_status=current.value) from exc
        changes.update(_recorded_fields(transition))
        events.append(
            {
                "order_id": order_id,
                "status": transition.status,
                "at": now,
                "reason": transition.reason,
            }
        )
        current = transition.status
    return current, changes, events


def _recorded_fields(transition: Transition) -> Columns:
    """The order's columns a transition sets besides its status."""
    fields: Columns = {}
    if transition.price is not None:
        fields["price"] = Decimal(str(transition.price))
        fields["currency"] = transition.currency
    if transition.quote is not None:
        fields["quote"] = transition.quote
    if transition.status == OrderStatus.CANCELLED:
        fields["reason"] = transition.reason
        fields["reason_code"] = transition.reason_code
    return fields


async def request_cancellation(
    session: AsyncSession, *, order_id: uuid.UUID, by: Decider
) -> OrderState:
    """Note that the customer or an operator wants the order cancelled; the saga reads the
    note at its next step and compensates. Refused once the order is past the point where
    cancelling is possible: ended, or confirmed (by the customer, or by itself within a
    B2B account's limit) and so being accepted into production."""
    state = await _locked_state(session, order_id)
    if state.cancel_requested_by is not None:
        return state
    if state.status in TERMINAL:
        raise Conflict(
            f"The order is {state.status.value} already and can no longer be cancelled.",
            current_status=state.status.value,
        )
    if state.status in (OrderStatus.CONFIRMED, OrderStatus.RESERVED):
        raise Conflict(
            "The order is confirmed and being accepted into production; it can no longer "
            "be cancelled.",
            current_status=state.status.value,
        )
    await session.execute(
        update(ORDERS)
        .where(ORDERS.c.id == order_id)
        .values(cancel_requested_by=by, cancel_requested_at=dt.datetime.now(dt.UTC))
    )
    return state.model_copy(update={"cancel_requested_by": by})


async def get_order(session: AsyncSession, *, order_id: uuid.UUID) -> OrderView:
    # One statement through the tables, the history aggregated by Postgres: every status
    # read of the shop and the B2B entry comes here, and loading it as mapped objects
    # (three statements, an identity map) cost the CRM most of its CPU per read.
    history = (
        select(
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(
                        func.json_build_object(
                            "status", EVENTS.c.status, "at", EVENTS.c.at, "reason", EVENTS.c.reason
                        ),
                        EVENTS.c.id,
                    )
                ),
                literal_column("'[]'::json"),
            )
        )
        .where(EVENTS.c.order_id == ORDERS.c.id)
        .scalar_subquery()
    )
    statement = (
        select(ORDERS, CUSTOMERS.c.email.label("customer_email"), history.label("history"))
        .join(CUSTOMERS, CUSTOMERS.c.id == ORDERS.c.customer_id)
        .where(ORDERS.c.id == order_id)
    )
    order = (await session.execute(statement)).one_or_none()
    if order is None:
        raise NotFound(f"There is no order {order_id}.")
    return OrderView(
        id=order.id,
        status=order.status,
        channel=order.channel,
        history=HISTORY.validate_python(order.history),
        items=ITEMS.validate_python(order.items),
        due_date=order.due_date,
        price=float(order.price) if order.price is not None else None,
        currency=order.currency,
        quote=order.quote,
        reason=order.reason,
        reason_code=order.reason_code,
        deadline_at=order.deadline_at,
        account_id=order.account_id,
        customer_email=order.customer_email,
        external_ref=order.external_ref,
    )


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
