"""The partner API on the B2B entry. Minimal for now: API-key auth, submit and read orders."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from cachetools import TTLCache
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from fabrika.contracts.orders import Accepted, Customer, Item, OrderStatus, OrderView
from fabrika.core.errors import NotFound, Problem
from fabrika.core.http import ServiceError, problem_from
from fabrika.core.keys import hash_api_key
from fabrika.crm.client import CrmDep
from fabrika.crm.schemas import AccountView
from fabrika.mes.client import MesDep
from fabrika.orders.client import SagasDep, submit_order

router = APIRouter(prefix="/v1", tags=["orders"])
bearer = HTTPBearer(auto_error=False)


class PartnerOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Item] = Field(min_length=1, max_length=50)
    due_date: dt.date | None = None


def _unauthorized(detail: str) -> Problem:
    return Problem(
        detail,
        status=401,
        type="unauthorized",
        title="Unauthorized",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def authenticated_account(
    request: Request,
    crm: CrmDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AccountView:
    if credentials is None:
        raise _unauthorized("Send your API key as `Authorization: Bearer <key>`.")
    key_hash = hash_api_key(credentials.credentials)
    known: TTLCache[str, AccountView] = request.app.state.accounts
    if key_hash in known:
        return known[key_hash]
    try:
        account = await crm.authenticate(credentials.credentials)
    except ServiceError as exc:
        if exc.status in (401, 422):
            raise _unauthorized("The API key is not valid.") from exc
        raise problem_from(exc) from exc
    known[key_hash] = account
    return account


AccountDep = Annotated[AccountView, Depends(authenticated_account)]


@router.post("/orders", status_code=status.HTTP_202_ACCEPTED)
async def place_order(
    body: PartnerOrderIn,
    account: AccountDep,
    request: Request,
    response: Response,
    mes: MesDep,
    sagas: SagasDep,
) -> Accepted:
    """Place an order; it is confirmed automatically when the quote is within your limit."""
    submission = await submit_order(
        channel="b2b",
        customer=Customer(email=account.email, name=account.name, language=account.language),
        items=body.items,
        due_date=body.due_date,
        mes=mes,
        sagas=sagas,
        settings=request.app.state.settings,
        account=account,
    )
    url = f"/v1/orders/{submission.order_id}"
    response.headers["Location"] = url
    return Accepted(id=submission.order_id, status=OrderStatus.NEW, status_url=url)


@router.get("/orders/{order_id}", response_model_exclude={"customer_email", "channel"})
async def get_order(order_id: UUID, account: AccountDep, crm: CrmDep) -> OrderView:
    """One of your orders. Another account's order is reported as not found."""
    try:
        order = await crm.get_order(order_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise NotFound(f"There is no order {order_id} for your account.") from exc
        raise problem_from(exc) from exc
    if order.account_id != account.id:
        raise NotFound(f"There is no order {order_id} for your account.")
    return order
