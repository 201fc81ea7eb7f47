"""The operators' API on the operators' entry, under /api/v1/ops/."""

import json
from typing import Annotated
from uuid import UUID

from dbos import DBOSClient
from fastapi import APIRouter, Depends, Query, Request, status

from fabrika.crm.client import CrmDep
from fabrika.crm.schemas import OrderFilter, OrderPage
from fabrika.ops import service
from fabrika.ops.schemas import (
    AutoscalerReport,
    CancellationAnswer,
    OrderDetail,
    OverdueReport,
    RetryAnswer,
)
from fabrika.orders.client import SagasDep, request_cancellation

router = APIRouter(prefix="/api/v1/ops", tags=["operators"])


def get_dbos(request: Request) -> DBOSClient:
    dbos: DBOSClient = request.app.state.dbos
    return dbos


DbosDep = Annotated[DBOSClient, Depends(get_dbos)]


@router.get("/orders")
async def orders(
    crm: CrmDep,
    where: Annotated[OrderFilter, Query()],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> OrderPage:
    """Orders newest first, filtered by status, channel, account, dates, customer email or
    external reference; `next_cursor` gives the next page."""
    return await crm.list_orders(where, limit=limit, cursor=cursor)


@router.get("/orders/overdue")
async def overdue(crm: CrmDep, dbos: DbosDep) -> OverdueReport:
    """Everything that should have ended by now and has not. Empty in normal operation."""
    return await service.overdue(crm, dbos)


@router.get("/orders/{order_id}")
async def order(order_id: UUID, crm: CrmDep, dbos: DbosDep) -> OrderDetail:
    """The order and its saga: state, executor, and each step's duration, attempts, errors."""
    view = await service.order(crm, order_id)
    return OrderDetail(order=view, saga=await service.saga_of(dbos, order_id))


@router.post("/orders/{order_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
async def cancel(order_id: UUID, crm: CrmDep, sagas: SagasDep) -> CancellationAnswer:
    """Cancel an order not confirmed yet; the saga compensates and tells the customer."""
    state = await request_cancellation(crm, sagas, order_id, by="operator")
    return CancellationAnswer(id=str(order_id), status=state.status, cancellation="requested")


@router.post("/orders/{order_id}/retry", status_code=status.HTTP_202_ACCEPTED)
async def retry(order_id: UUID, dbos: DbosDep) -> RetryAnswer:
    """Resume a failed saga from its last completed step."""
    return await service.retry(dbos, order_id)


@router.get("/autoscaler")
async def autoscaler(request: Request) -> AutoscalerReport:
    """Instances per service, the policies and the autoscaler's latest decisions."""
    report = request.app.state.settings.run_dir / "autoscaler.json"
    if not report.exists():
        return AutoscalerReport(enabled=False, instances={}, policies={}, decisions=[])
    return AutoscalerReport(enabled=True, **json.loads(report.read_text()))
