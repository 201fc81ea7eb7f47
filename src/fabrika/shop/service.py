"""Shop use cases: show an order, pass on the customer's decision."""

from uuid import UUID

from fabrika.contracts.orders import HistoryEntry, OrderStatus, OrderView
from fabrika.core.errors import Conflict, NotFound
from fabrika.core.http import ServiceError, problem_from
from fabrika.crm.client import CrmClient
from fabrika.orders.client import OrderSagaClient


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
