"""The shop entry's order API."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status

from fabrika.crm.client import CrmClient
from fabrika.mes.client import MesClient
from fabrika.orders.client import OrderSagaClient, request_cancellation
from fabrika.orders.schemas import OrderIn, OrderView
from fabrika.shop import service
from fabrika.shop.schemas import Accepted

router = APIRouter(prefix="/api/v1", tags=["orders"])
PRIVATE_FIELDS = {"customer_email", "account_id", "channel"}


def get_crm(request: Request) -> CrmClient:
    return CrmClient(request.app.state.http)


def get_mes(request: Request) -> MesClient:
    return MesClient(request.app.state.http)


def get_sagas(request: Request) -> OrderSagaClient:
    return request.app.state.sagas


CrmDep = Annotated[CrmClient, Depends(get_crm)]
MesDep = Annotated[MesClient, Depends(get_mes)]
SagasDep = Annotated[OrderSagaClient, Depends(get_sagas)]


@router.post("/orders", status_code=status.HTTP_202_ACCEPTED)
async def submit_order(
    body: OrderIn, request: Request, response: Response, mes: MesDep, sagas: SagasDep
) -> Accepted:
    """Place an order; its price is calculated in the background. Follow `status_url`."""
    deadline_s = request.app.state.settings.deadline_s("shop")
    submission = await service.submit_order(body, mes=mes, sagas=sagas, deadline_s=deadline_s)
    url = f"/api/v1/orders/{submission.order_id}"
    response.headers["Location"] = url
    return Accepted(id=submission.order_id, status="NEW", status_url=url)


@router.get("/orders/{order_id}", response_model_exclude=PRIVATE_FIELDS)
async def get_order(order_id: UUID, crm: CrmDep, sagas: SagasDep) -> OrderView:
    """The order's status, its history and, once known, its price."""
    return await service.find_order(order_id, crm=crm, sagas=sagas)


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
