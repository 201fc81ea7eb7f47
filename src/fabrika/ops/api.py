"""The operators' API on the operators' entry, under /api/v1/ops/."""

import json
from typing import Annotated, Any
from uuid import UUID

from dbos import DBOSClient
from fastapi import APIRouter, Depends, Query, Request, status

from fabrika.crm.client import CrmClient
from fabrika.crm.schemas import OrderSummary
from fabrika.ops import service
from fabrika.orders.client import OrderSagaClient, request_cancellation
from fabrika.orders.schemas import OrderStatus

router = APIRouter(prefix="/api/v1/ops", tags=["operators"])


def get_crm(request: Request) -> CrmClient:
    return CrmClient(request.app.state.http)


CrmDep = Annotated[CrmClient, Depends(get_crm)]


def get_dbos(request: Request) -> DBOSClient:
    return request.app.state.dbos


DbosDep = Annotated[DBOSClient, Depends(get_dbos)]


def get_sagas(request: Request) -> OrderSagaClient:
    return request.app.state.sagas


SagasDep = Annotated[OrderSagaClient, Depends(get_sagas)]


@router.get("/orders")
async def orders(
    crm: CrmDep,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[OrderSummary]:
    """Orders, newest first, optionally in one status."""
    return await crm.list_orders(status=status, limit=limit)


@router.get("/orders/overdue")
async def overdue(crm: CrmDep, dbos: DbosDep) -> dict[str, Any]:
    """Everything that should have ended by now and has not. Empty in normal operation."""
    return await service.overdue(crm, dbos)


@router.get("/orders/{order_id}")
async def order(order_id: UUID, crm: CrmDep, dbos: DbosDep) -> dict[str, Any]:
    """The order and its saga: state, executor, and each step's duration, attempts, errors."""
    view = await service.order(crm, order_id)
    return {"order": view.model_dump(mode="json"), "saga": await service.saga_of(dbos, order_id)}


@router.post("/orders/{order_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
async def cancel(order_id: UUID, crm: CrmDep, sagas: SagasDep) -> dict[str, Any]:
    """Cancel an order not confirmed yet; the saga compensates and tells the customer."""
    state = await request_cancellation(crm, sagas, order_id, by="operator")
    return {"id": str(order_id), "status": state.status, "cancellation": "requested"}


@router.post("/orders/{order_id}/retry", status_code=status.HTTP_202_ACCEPTED)
async def retry(order_id: UUID, dbos: DbosDep) -> dict[str, Any]:
    """Resume a failed saga from its last completed step."""
    return await service.retry(dbos, order_id)


@router.get("/autoscaler")
async def autoscaler(request: Request) -> dict[str, Any]:
    """Instances per service, the policies and the autoscaler's latest decisions."""
    report = request.app.state.settings.run_dir / "autoscaler.json"
    if not report.exists():
        return {"enabled": False, "instances": {}, "policies": {}, "decisions": []}
    return {"enabled": True, **json.loads(report.read_text())}
