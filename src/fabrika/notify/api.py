"""Notify's internal API (/notify/) and the operators' mailbox (/api/v1/mailbox)."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, status

from fabrika.core.db import SessionDep
from fabrika.notify import service
from fabrika.notify.schemas import DeliveryView, EmailRequest, MailboxEntry

router = APIRouter()


@router.post("/notify/v1/emails", status_code=status.HTTP_202_ACCEPTED)
async def queue_email(
    body: EmailRequest, session: SessionDep, request: Request, background: BackgroundTasks
) -> DeliveryView:
    """Queue an email; it is delivered in the background, once per key."""
    delivery = await service.queue_email(session, request=body)
    # After the response, so after the commit: the woken sender finds the message.
    background.add_task(request.app.state.outbox_wakeup.set)
    return delivery


@router.get("/api/v1/mailbox")
async def mailbox(
    session: SessionDep,
    to: Annotated[str | None, Query(max_length=320)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[MailboxEntry]:
    """Messages caught by the development SMTP sink, oldest first."""
    return await service.list_mailbox(session, to=to, limit=limit)
