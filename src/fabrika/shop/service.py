"""Shop use cases: submit an order, show it, pass on the customer's decision."""

import datetime as dt
import uuid
from uuid import UUID

from fabrika.core.errors import Conflict, NotFound, Problem
from fabrika.core.http import ServiceError, problem_from
from fabrika.crm.client import CrmClient
from fabrika.mes.client import MesClient
from fabrika.orders.client import OrderSagaClient
from fabrika.orders.schemas import (
    HistoryEntry,
    OrderIn,
    OrderStatus,
    OrderView,
    Submission,
)


async def submit_order(
    order: OrderIn, *, mes: MesClient, sagas: OrderSagaClient, deadline_s: float
) -> Submission:
    """Check the items against the catalog, then start the order's saga."""
    submitted_at = dt.datetime.now(dt.UTC)
    if order.due_date is not None and order.due_date <= submitted_at.date():
        raise Problem(
            f"The due date {order.due_date} is not in the future; choose a later date.",
            status=422,
            type="validation-error",
            title="Invalid request",
            errors=[{"pointer": "/due_date", "detail": "must be after today"}],
        )
    try:
        await mes.check_items(order.items)
    except ServiceError as exc:
        raise problem_from(exc) from exc
    submission = Submission(
        order_id=uuid.uuid4(),
        channel="shop",
        customer=order.customer,
        items=order.items,
        due_date=order.due_date,
        submitted_at=submitted_at,
        deadline_at=submitted_at + dt.timedelta(seconds=deadline_s),
    )
    await sagas.start(submission)
    return submission


async def find_order(order_id: UUID, *, crm: CrmClient, sagas: OrderSagaClient) -> OrderView:
    """The order from the CRM; a saga that has not registered it yet shows it as NEW."""
    try:
        return await crm.get_order(order_id)
    except ServiceError as exc:
        if exc.status != 404:
            raise problem_from(exc) from exc
    submitted_at = await sagas.submitted_at(order_id)
    if submitted_at is None:
        raise NotFound(f"There is no order {order_id}.")
    return OrderView(
        id=order_id,
        status=OrderStatus.NEW,
        channel="shop",
        history=[HistoryEntry(status=OrderStatus.NEW, at=submitted_at)],
        items=[],
    )


async def confirm(order: OrderView, *, sagas: OrderSagaClient) -> None:
    """Accept the quoted price; the saga waits for this while the order is QUOTED."""
    if order.status != OrderStatus.QUOTED:
        raise Conflict(
            f"The order is {order.status.value}, not waiting for confirmation; only a QUOTED "
            "order can be confirmed.",
            current_status=order.status.value,
        )
    await sagas.decide(order.id, "confirm")
