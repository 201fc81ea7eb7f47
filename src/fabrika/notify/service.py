"""Notify use cases: render, send once per key, and read the development mailbox."""

import asyncio
import datetime as dt
import smtplib
from email.message import EmailMessage

import structlog
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.core.errors import Problem
from fabrika.core.settings import Settings
from fabrika.notify.messages import Message, UnknownTemplate, localized_reason, render
from fabrika.notify.models import Delivery, MailboxMessage
from fabrika.notify.schemas import DeliveryView, EmailRequest, MailboxEntry

log = structlog.get_logger()
DELIVERIES = Counter("fabrika_notify_deliveries", "Notifications sent", ["channel", "outcome"])


async def send_email(
    session: AsyncSession, *, request: EmailRequest, settings: Settings
) -> DeliveryView:
    """Send the message for an event at most once per key, however often it is asked for."""
    params = dict(request.params)
    if "reason" in params:
        params["reason"] = localized_reason(
            request.language, params.get("reason_code"), params["reason"]
        )
    try:
        message = render(request.event, request.language, params)
    except UnknownTemplate as exc:
        raise Problem(str(exc), status=422, type="unknown-event", title="Unknown event") from exc
    claimed = await session.execute(
        insert(Delivery)
        .values(
            key=request.key,
            channel="email",
            recipient=str(request.to),
            event=request.event,
            subject=message.subject,
            status="sending",
        )
        .on_conflict_do_nothing(index_elements=[Delivery.key])
        .returning(Delivery.key)
    )
    if claimed.scalar_one_or_none() is None:
        existing = await session.get(Delivery, request.key)
        assert existing is not None
        return DeliveryView(key=existing.key, status=existing.status, subject=existing.subject)
    try:
        await asyncio.to_thread(_deliver_smtp, settings, str(request.to), message)
    except (OSError, smtplib.SMTPException) as exc:
        DELIVERIES.labels("email", "failed").inc()
        log.warning("email delivery failed", key=request.key, error=repr(exc))
        raise Problem(
            "The mail server did not accept the message; retry later.",
            status=503,
            type="delivery-failed",
            title="Delivery failed",
        ) from exc
    delivery = await session.get(Delivery, request.key)
    assert delivery is not None
    delivery.status = "sent"
    delivery.sent_at = dt.datetime.now(dt.UTC)
    await session.flush()
    DELIVERIES.labels("email", "sent").inc()
    log.info("email sent", key=request.key, template=request.event)
    return DeliveryView(key=delivery.key, status=delivery.status, subject=delivery.subject)


def _deliver_smtp(settings: Settings, to: str, message: Message) -> None:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = to
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(settings.host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(email)


async def list_mailbox(
    session: AsyncSession, *, to: str | None, limit: int = 100
) -> list[MailboxEntry]:
    statement = select(MailboxMessage).order_by(MailboxMessage.id).limit(limit)
    if to:
        statement = statement.where(MailboxMessage.recipient == to.lower())
    rows = (await session.execute(statement)).scalars()
    return [MailboxEntry(to=m.recipient, subject=m.subject, body=m.body, at=m.at) for m in rows]
