"""The partner API on the B2B entry. Minimal for now: API-key auth, submit and read orders."""

import datetime as dt
import hashlib
import uuid
from typing import Annotated
from uuid import UUID

from cachetools import TTLCache
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from fabrika.core.errors import NotFound, Problem
from fabrika.core.http import ServiceError, problem_from
from fabrika.crm.client import CrmClient
from fabrika.crm.schemas import AccountView
from fabrika.mes.client import MesClient
from fabrika.orders.client import OrderSagaClient
from fabrika.orders.schemas import Customer, Item, OrderView, Submission
from fabrika.shop.schemas import Accepted

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
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AccountView:
    if credentials is None:
        raise _unauthorized("Send your API key as `Authorization: Bearer <key>`.")
    key_hash = hashlib.sha256(credentials.credentials.encode()).hexdigest()
    known: TTLCache = request.app.state.accounts
    if key_hash in known:
        return known[key_hash]
    try:
        account = await CrmClient(request.app.state.http).authenticate(credentials.credentials)
    except ServiceError as exc:
        if exc.status in (401, 422):
            raise _unauthorized("The API key is not valid.") from exc
        raise problem_from(exc) from exc
    known[key_hash] = account
    return account


AccountDep = Annotated[AccountView, Depends(authenticated_account)]


@router.post("/orders", status_code=status.HTTP_202_ACCEPTED)
async def submit_order(
    body: PartnerOrderIn, account: AccountDep, request: Request, response: Response
) -> Accepted:
    """Place an order; it is confirmed automatically when the quote is within your limit."""
    if body.due_date is not None and body.due_date <= dt.datetime.now(dt.UTC).date():
        raise Problem(
            f"The due date {body.due_date} is not in the future.",
            status=422,
            type="validation-error",
            title="Invalid request",
        )
    try:
        await MesClient(request.app.state.http).check_items(body.items)
    except ServiceError as exc:
        raise problem_from(exc) from exc
    submitted_at = dt.datetime.now(dt.UTC)
    deadline_s = request.app.state.settings.deadline_s("b2b")
    submission = Submission(
        order_id=uuid.uuid4(),
        channel="b2b",
        customer=Customer(email=account.email, name=account.name, language=account.language),
        items=body.items,
        due_date=body.due_date,
        submitted_at=submitted_at,
        deadline_at=submitted_at + dt.timedelta(seconds=deadline_s),
        account_id=account.id,
        price_limit=account.price_limit,
    )
    sagas: OrderSagaClient = request.app.state.sagas
    await sagas.start(submission)
    url = f"/v1/orders/{submission.order_id}"
    response.headers["Location"] = url
    return Accepted(id=submission.order_id, status="NEW", status_url=url)


@router.get("/orders/{order_id}", response_model_exclude={"customer_email", "channel"})
async def get_order(order_id: UUID, account: AccountDep, request: Request) -> OrderView:
    """One of your orders. Another account's order is reported as not found."""
    try:
        order = await CrmClient(request.app.state.http).get_order(order_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise NotFound(f"There is no order {order_id} for your account.") from exc
        raise problem_from(exc) from exc
    if order.account_id != account.id:
        raise NotFound(f"There is no order {order_id} for your account.")
    return order
