"""The shop entry's order API."""

from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from fabrika.contracts.orders import Accepted, CustomerOrder, OrderIn, OrderStatus
from fabrika.crm.client import CrmDep
from fabrika.mes.client import MesDep
from fabrika.orders.client import SagasDep, request_cancellation, submit_order
from fabrika.shop import service

router = APIRouter(prefix="/api/v1", tags=["orders"])


@router.post("/orders", status_code=status.HTTP_202_ACCEPTED)
async def place_order(
    body: OrderIn, request: Request, response: Response, mes: MesDep, sagas: SagasDep
) -> Accepted:
    """Place an order; its price is calculated in the background. Follow `status_url`."""
    submission = await submit_order(
        channel="shop",
        customer=body.customer,
        items=body.items,
        due_date=body.due_date,
        mes=mes,
        sagas=sagas,
        settings=request.app.state.settings,
    )
    url = f"/api/v1/orders/{submission.order_id}"
    response.headers["Location"] = url
    return Accepted(id=submission.order_id, status=OrderStatus.NEW, status_url=url)


@router.get("/orders/{order_id}")
async def get_order(order_id: UUID, crm: CrmDep, sagas: SagasDep) -> CustomerOrder:
    """The order's status, its history and, once known, its price."""
    return (await service.find_order(order_id, crm=crm, sagas=sagas)).for_customer()


@router.post("/orders/{order_id}/confirm", status_code=status.HTTP_202_ACCEPTED)
async def confirm_order(order_id: UUID, crm: CrmDep, sagas: SagasDep) -> Accepted:
    """Accept the quoted price; the order then goes on to production planning."""
    order = await service.find_order(order_id, crm=crm, sagas=sagas)
    await service.confirm(order, sagas=sagas)
    url = f"/api/v1/orders/{order_id}"
    return Accepted(id=order_id, status=order.status, status_url=url)


@router.post("/orders/{order_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
async def cancel_order(order_id: UUID, crm: CrmDep, sagas: SagasDep) -> Accepted:
    """Cancel the order until its price is confirmed; nothing is charged.
    The order shows CANCELLED once the steps already taken are undone."""
    state = await request_cancellation(crm, sagas, order_id, by="customer")
    url = f"/api/v1/orders/{order_id}"
    return Accepted(id=order_id, status=state.status, status_url=url)
