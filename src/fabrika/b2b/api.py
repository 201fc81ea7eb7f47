"""The partner API's orders: place one (idempotently), list yours, read one, cancel one.
Every order is your account's: another account's order is not found, always."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from fabrika.b2b import ownership
from fabrika.b2b.auth import Partner, partner
from fabrika.b2b.idempotency import (
    Call,
    IdempotencyKey,
    Ledger,
    fingerprint,
    name_for,
    parse_key,
    required_key,
)
from fabrika.b2b.models import OwnedOrder
from fabrika.b2b.schemas import PartnerOrderIn, PartnerOrderPage, PartnerOrderSummary
from fabrika.contracts.accounts import PolicyKind, Scope
from fabrika.contracts.orders import (
    Accepted,
    Customer,
    CustomerOrder,
    HistoryEntry,
    OrderStatus,
    OrderView,
)
from fabrika.core.errors import NotFound
from fabrika.core.http import ServiceError, problem_from
from fabrika.core.telemetry import current_trace_id
from fabrika.crm.client import CrmClient, CrmDep
from fabrika.crm.schemas import OrderFilter
from fabrika.mes.client import MesDep
from fabrika.orders.client import SagasDep, request_cancellation, submit_order

router = APIRouter(prefix="/v1", tags=["orders"])
Writer = Annotated[Partner, Depends(partner(Scope.ORDERS_WRITE, PolicyKind.WRITES))]
Reader = Annotated[Partner, Depends(partner(Scope.ORDERS_READ, PolicyKind.READS))]


def json_answer(model: BaseModel, status_code: int, **headers: str) -> Response:
    """An answer built here, not by FastAPI, so that the ledger keeps its exact bytes."""
    return JSONResponse(model.model_dump(mode="json"), status_code=status_code, headers=headers)


def ledger_call(request: Request, who: Partner, key: str, body: object, made: UUID | str) -> Call:
    return Call(
        account_id=who.account.id,
        key_id=who.key.id,
        idempotency_key=key,
        method=request.method,
        path=request.url.path,
        fingerprint=fingerprint(request.method, request.url.path, body),
        policy=getattr(request.state, "policy", None),
        trace_id=current_trace_id(),
        resource_id=str(made),
    )


@router.post(
    "/orders",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    summary="Place an order",
)
async def place_order(
    body: PartnerOrderIn,
    who: Writer,
    request: Request,
    mes: MesDep,
    sagas: SagasDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Place an order. It is priced and, within your account's limit, confirmed and
    accepted into production by itself; follow `status_url`. An `Idempotency-Key` is
    required: a retry with the same key answers as the first call did."""
    key = required_key(idempotency_key)
    order_id = name_for(who.account.id, key)
    ledger: Ledger = request.app.state.ledger
    call = ledger_call(request, who, key, body.model_dump(mode="json"), order_id)

    async def place() -> Response:
        # Checked and held in a transaction of its own, committed before the saga starts.
        async with request.app.state.sessions() as session, session.begin():
            items, quote_job = body.items, None
            if body.quote_id is not None:
                items, quote_job = await ownership.quoted_items(session, who, body.quote_id)
            assert items is not None  # the model validator asks for items or a quote
            await ownership.check_models(session, who, items)
            await ownership.reserve_reference(session, who, order_id, body.external_ref, sagas)
        await submit_order(
            channel="b2b",
            customer=Customer(
                email=who.account.email, name=who.account.name, language=who.account.language
            ),
            items=items,
            due_date=body.due_date,
            mes=mes,
            sagas=sagas,
            settings=request.app.state.settings,
            account=who.account,
            order_id=order_id,
            external_ref=body.external_ref,
            quote_job_id=quote_job,
        )
        url = f"/v1/orders/{order_id}"
        accepted = Accepted(id=order_id, status=OrderStatus.NEW, status_url=url)
        return json_answer(accepted, 202, Location=url)

    return await ledger.run(call, place, request)


@router.get("/orders", summary="List your orders")
async def list_orders(
    who: Reader,
    crm: CrmDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    status: OrderStatus | None = None,
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
    external_ref: Annotated[str | None, Query(max_length=100)] = None,
) -> PartnerOrderPage:
    """Your orders, newest first, a page at a time: pass `next_cursor` as `cursor`."""
    where = OrderFilter(
        account_id=who.account.id,
        status=status,
        created_after=created_after,
        created_before=created_before,
        external_ref=external_ref,
    )
    try:
        page = await crm.list_orders(where, limit=limit, cursor=cursor)
    except ServiceError as exc:
        raise problem_from(exc) from exc
    data = [PartnerOrderSummary.model_validate(o, from_attributes=True) for o in page.orders]
    return PartnerOrderPage(data=data, next_cursor=page.next_cursor)


async def own_order(request: Request, crm: CrmClient, who: Partner, order_id: UUID) -> OrderView:
    """One of the partner's orders; any other (or none) is not found, in the same words. An
    order taken but not registered yet (a moment after it was placed) shows as NEW."""
    missing = NotFound(f"There is no order {order_id} for your account.")
    try:
        order = await crm.get_order(order_id)
    except ServiceError as exc:
        if exc.status != 404:
            raise problem_from(exc) from exc
        async with request.app.state.sessions() as session:
            placed = await session.get(OwnedOrder, order_id)
        if placed is None or placed.account_id != who.account.id:
            raise missing from exc
        return OrderView(
            id=order_id,
            status=OrderStatus.NEW,
            channel="b2b",
            history=[HistoryEntry(status=OrderStatus.NEW, at=placed.created_at)],
            items=[],
            external_ref=placed.external_ref,
        )
    if order.account_id != who.account.id:
        raise missing
    return order


@router.get("/orders/{order_id}", summary="Read an order")
async def get_order(order_id: UUID, who: Reader, request: Request, crm: CrmDep) -> CustomerOrder:
    """One of your orders: its status, history, price and, once cancelled, the reason."""
    return (await own_order(request, crm, who, order_id)).for_customer()


@router.post(
    "/orders/{order_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    summary="Cancel an order",
)
async def cancel_order(
    order_id: UUID,
    who: Writer,
    request: Request,
    crm: CrmDep,
    sagas: SagasDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Cancel an order until it is confirmed (within your limit, at once): 409 after."""

    async def cancel() -> Response:
        await own_order(request, crm, who, order_id)
        state = await request_cancellation(crm, sagas, order_id, by="customer")
        url = f"/v1/orders/{order_id}"
        return json_answer(Accepted(id=order_id, status=state.status, status_url=url), 202)

    key = parse_key(idempotency_key)
    if key is None:
        return await cancel()
    ledger: Ledger = request.app.state.ledger
    return await ledger.run(ledger_call(request, who, key, None, order_id), cancel, request)
