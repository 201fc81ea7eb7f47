"""Notify use cases: queue a message once per key, and read the development mailbox.

Messages go to an outbox table in the same transaction that accepts the request, so a
notification asked for is never lost; the sender (sender.py) delivers it in the background.
"""

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.core.errors import Problem
from fabrika.notify.messages import UnknownTemplate, localized_reason, render
from fabrika.notify.models import Delivery, MailboxMessage
from fabrika.notify.schemas import DeliveryView, EmailRequest, MailboxEntry

log = structlog.get_logger()


async def queue_email(session: AsyncSession, *, request: EmailRequest) -> DeliveryView:
    """Queue the message for an event once per key, however often it is asked for."""
    params = request.params.copy()
    if "reason" in params:
        params["reason"] = localized_reason(
            request.language, params.get("reason_code"), params["reason"]
        )
    try:
        message = render(request.event, request.language, params)
    except UnknownTemplate as exc:
        raise Problem(str(exc), status=422, type="unknown-event", title="Unknown event") from exc
    view = (Delivery.key, Delivery.status, Delivery.subject)
    queued = await session.execute(
        insert(Delivery)
        .values(
            key=request.key,
            channel="email",
            recipient=str(request.to).lower(),
            event=request.event,
            subject=message.subject,
            body=message.body,
            status="queued",
        )
        .on_conflict_do_nothing(index_elements=[Delivery.key])
        .returning(*view)
    )
    row = queued.one_or_none()
    if row is None:  # queued before under this key: report that one
        row = (await session.execute(select(*view).where(Delivery.key == request.key))).one()
    return DeliveryView(key=row.key, status=row.status, subject=row.subject)


async def list_mailbox(
    session: AsyncSession, *, to: str | None, limit: int = 100
) -> list[MailboxEntry]:
    statement = select(MailboxMessage).order_by(MailboxMessage.id).limit(limit)
    if to:
        statement = statement.where(MailboxMessage.recipient == to.lower())
    rows = (await session.execute(statement)).scalars()
    return [MailboxEntry(to=m.recipient, subject=m.subject, body=m.body, at=m.at) for m in rows]
