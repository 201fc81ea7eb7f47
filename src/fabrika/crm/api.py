"""The CRM's internal API, reached through the gateway's internal entry under /crm/."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query

from fabrika.contracts.orders import OrderView
from fabrika.core.db import SessionDep
from fabrika.crm import listing, service
from fabrika.crm.schemas import (
    CancellationRequest,
    OrderFilter,
    OrderPage,
    OrderState,
    OrderStats,
    RegisterOrder,
    Transition,
)

router = APIRouter(prefix="/crm/v1")


@router.put("/orders/{order_id}")
async def register_order(order_id: UUID, body: RegisterOrder, session: SessionDep) -> OrderState:
    return await service.register_order(session, order_id=order_id, registration=body)


@router.post("/orders/{order_id}/transitions")
async def record_transitions(
    order_id: UUID,
    body: Annotated[list[Transition], Body(min_length=1, max_length=5)],
    session: SessionDep,
) -> OrderState:
    """Record status changes in order; one already recorded is skipped (idempotent)."""
    return await service.record_transitions(session, order_id=order_id, transitions=body)


@router.post("/orders/{order_id}/cancellation")
async def request_cancellation(
    order_id: UUID, body: CancellationRequest, session: SessionDep
) -> OrderState:
    """Ask for the order to be cancelled; its saga compensates at its next step."""
    return await service.request_cancellation(session, order_id=order_id, by=body.by)


@router.get("/orders")
async def list_orders(
    session: SessionDep,
    where: Annotated[OrderFilter, Query()],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> OrderPage:
    """Orders newest first, filtered; follow `next_cursor` for the next page."""
    return await listing.list_orders(session, where, limit=limit, cursor=cursor)


@router.get("/orders/stats")
async def order_stats(session: SessionDep) -> OrderStats:
    return await service.order_stats(session)


@router.get("/orders/{order_id}")
async def get_order(order_id: UUID, session: SessionDep) -> OrderView:
    return await service.get_order(session, order_id=order_id)
