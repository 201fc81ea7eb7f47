"""What belongs to which account on the B2B entry: uploaded models, quotes and order
references. A partner may use only its own; another's is "not found", as if it did not
exist, so that nothing tells one account about another's."""

import datetime as dt
import uuid
from collections.abc import Sequence

from pydantic import TypeAdapter
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.b2b.auth import Partner
from fabrika.b2b.models import OwnedModel, OwnedOrder, OwnedQuote
from fabrika.contracts.orders import Item
from fabrika.core.errors import Conflict, NotFound, Unprocessable
from fabrika.orders.client import OrderSagaClient

ITEMS = TypeAdapter(list[Item])
# A reference held for an order whose saga never started (its process died in between) is
# given to the next order that asks for it after this long.
ABANDONED_AFTER = dt.timedelta(seconds=30)


async def own_model(session: AsyncSession, who: Partner, model_id: uuid.UUID) -> None:
    """The model is the partner's, or it is not found."""
    owned = await session.get(OwnedModel, (who.account.id, model_id))
    if owned is None:
        raise NotFound(f"There is no model {model_id} for your account; upload it first.")


async def check_models(session: AsyncSession, who: Partner, items: Sequence[Item]) -> None:
    """Every model the items use is one the partner uploaded."""
    wanted = {item.model_id for item in items if item.model_id is not None}
    if not wanted:
        return
    owned = set(
        await session.scalars(
            select(OwnedModel.model_id).where(
                OwnedModel.account_id == who.account.id, OwnedModel.model_id.in_(wanted)
            )
        )
    )
    errors = [
        {"pointer": f"/items/{index}/model_id", "detail": "no such model for your account"}
        for index, item in enumerate(items)
        if item.model_id is not None and item.model_id not in owned
    ]
    if errors:
        raise Unprocessable(
            "Some items use models your account did not upload: "
            + "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors)
            + ".",
            type="validation-error",
            title="Invalid request",
            errors=errors,
        )


async def record_model(session: AsyncSession, who: Partner, model_id: uuid.UUID) -> None:
    await session.execute(
        insert(OwnedModel)
        .values(account_id=who.account.id, model_id=model_id)
        .on_conflict_do_nothing()
    )


async def record_quote(
    session: AsyncSession, who: Partner, job_id: str, items: Sequence[Item]
) -> None:
    await session.execute(
        insert(OwnedQuote)
        .values(
            job_id=job_id,
            account_id=who.account.id,
            items=ITEMS.dump_python(list(items), mode="json"),
        )
        .on_conflict_do_nothing()
    )


async def own_quote(session: AsyncSession, who: Partner, job_id: str) -> OwnedQuote:
    quote = await session.get(OwnedQuote, job_id)
    if quote is None or quote.account_id != who.account.id:
        raise NotFound(f"There is no quote {job_id} for your account.")
    return quote


async def quoted_items(session: AsyncSession, who: Partner, job_id: str) -> tuple[list[Item], str]:
    """The items of the partner's quote `job_id`, for an order that takes its price (the
    MES checks, when the saga opens the order, that it is done and still valid)."""
    quote = await own_quote(session, who, job_id)
    return ITEMS.validate_python(quote.items), job_id


async def finish_quote(session: AsyncSession, job_id: str) -> None:
    """The quote job was seen to end: it no longer counts against the account's limit."""
    await session.execute(
        update(OwnedQuote)
        .where(OwnedQuote.job_id == job_id, OwnedQuote.finished_at.is_(None))
        .values(finished_at=dt.datetime.now(dt.UTC))
    )


async def running_quotes(session: AsyncSession, who: Partner) -> list[str]:
    """The partner's quote jobs not yet seen to end, oldest first."""
    rows = await session.scalars(
        select(OwnedQuote.job_id)
        .where(OwnedQuote.account_id == who.account.id, OwnedQuote.finished_at.is_(None))
        .order_by(OwnedQuote.created_at)
    )
    return list(rows)


async def reserve_reference(
    session: AsyncSession,
    who: Partner,
    order_id: uuid.UUID,
    external_ref: str | None,
    sagas: OrderSagaClient,
) -> None:
    """Hold the order's reference for it: a second order with the reference is refused,
    naming the first. Holding it again for the same order (a retry) is fine."""
    held = await session.scalar(
        insert(OwnedOrder)
        .values(order_id=order_id, account_id=who.account.id, external_ref=external_ref)
        .on_conflict_do_nothing()
        .returning(OwnedOrder.order_id)
    )
    if held is not None or external_ref is None:
        return
    first = (
        await session.execute(
            select(OwnedOrder).where(
                OwnedOrder.account_id == who.account.id, OwnedOrder.external_ref == external_ref
            )
        )
    ).scalar_one_or_none()
    if first is None or first.order_id == order_id:
        return
    if await _abandoned(first, sagas):
        await session.execute(delete(OwnedOrder).where(OwnedOrder.order_id == first.order_id))
        await reserve_reference(session, who, order_id, external_ref, sagas)
        return
    raise Conflict(
        f"Your order {first.order_id} already has the reference {external_ref!r}; a "
        "reference names one order.",
        type="external-ref-taken",
        title="Reference already used",
        order_id=str(first.order_id),
    )


async def _abandoned(reservation: OwnedOrder, sagas: OrderSagaClient) -> bool:
    """A reference held long ago for an order whose saga never started."""
    if dt.datetime.now(dt.UTC) - reservation.created_at < ABANDONED_AFTER:
        return False
    return await sagas.submitted_at(reservation.order_id) is None
