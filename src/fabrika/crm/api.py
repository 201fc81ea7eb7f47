"""The CRM's internal API, reached through the gateway's internal entry under /crm/."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from fabrika.core.db import SessionDep
from fabrika.core.errors import Problem
from fabrika.crm import service
from fabrika.crm.schemas import (
    AccountView,
    ApiKey,
    OrderStats,
    OrderSummary,
    RegisterOrder,
    Transition,
)
from fabrika.orders.schemas import OrderStatus, OrderView

router = APIRouter(prefix="/crm/v1")


@router.put("/orders/{order_id}")
async def register_order(order_id: UUID, body: RegisterOrder, session: SessionDep) -> OrderView:
    return await service.register_order(session, order_id=order_id, registration=body)


@router.post("/orders/{order_id}/transitions")
async def record_transition(order_id: UUID, body: Transition, session: SessionDep) -> OrderView:
    return await service.record_transition(session, order_id=order_id, transition=body)


@router.get("/orders")
async def list_orders(
    session: SessionDep,
    status: OrderStatus | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OrderSummary]:
    return await service.list_orders(session, status=status, overdue=overdue, limit=limit)


@router.get("/orders/stats")
async def order_stats(session: SessionDep) -> OrderStats:
    return await service.order_stats(session)


@router.get("/orders/{order_id}")
async def get_order(order_id: UUID, session: SessionDep) -> OrderView:
    return await service.get_order(session, order_id=order_id)


@router.post("/accounts/authenticate")
async def authenticate(body: ApiKey, session: SessionDep) -> AccountView:
    account = await service.authenticate(session, api_key=body.api_key)
    if account is None:
        raise Problem(
            "The API key is not valid.", status=401, type="unauthorized", title="Unauthorized"
        )
    return AccountView(
        id=account.id,
        name=account.name,
        email=account.email,
        language=account.language,
        price_limit=float(account.price_limit),
    )
