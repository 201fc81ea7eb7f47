"""The CRM's internal API, reached through the gateway's internal entry under /crm/."""

from uuid import UUID

from fastapi import APIRouter

from fabrika.core.db import SessionDep
from fabrika.core.errors import Problem
from fabrika.crm import service
from fabrika.crm.schemas import AccountView, ApiKey, RegisterOrder, Transition
from fabrika.orders.schemas import OrderView

router = APIRouter(prefix="/crm/v1")


@router.put("/orders/{order_id}")
async def register_order(order_id: UUID, body: RegisterOrder, session: SessionDep) -> OrderView:
    return await service.register_order(session, order_id=order_id, registration=body)


@router.post("/orders/{order_id}/transitions")
async def record_transition(order_id: UUID, body: Transition, session: SessionDep) -> OrderView:
    return await service.record_transition(session, order_id=order_id, transition=body)


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
