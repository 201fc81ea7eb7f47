"""Emails go out once per key through a real SMTP server into the mailbox."""

import asyncio
import uuid

import pytest
from sqlalchemy import text

from fabrika.core.db import create_engine
from fabrika.notify import sender
from fabrika.notify.app import build
from fabrika.notify.mailsink import MailboxHandler

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture(scope="module")
async def mailsink(settings, database):
    """The development SMTP sink on this run's port, in this test process."""
    from aiosmtpd.smtp import SMTP

    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    handler = MailboxHandler(engine)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), settings.host, settings.smtp_port)
    yield
    server.close()
    await server.wait_closed()
    await handler.close()
    await engine.dispose()


@pytest.fixture
async def notify(serve, mailsink):
    async with serve(build()) as client:
        yield client


async def delivered(notify, to: str, count: int, timeout_s: float = 10) -> list[dict]:
    """The mailbox once the background sender has delivered `count` messages to `to`."""
    async with asyncio.timeout(timeout_s):
        while True:
            mailbox = (await notify.get("/api/v1/mailbox", params={"to": to})).json()
            if len(mailbox) >= count:
                return mailbox
            await asyncio.sleep(0.05)


def email(to: str, key: str, event: str = "registered", language: str = "en") -> dict:
    params = {"name": "Olga", "order_ref": "ABCD1234", "status_url": "http://x/o/1"}
    return {"key": key, "to": to, "language": language, "event": event, "params": params}


async def test_an_email_reaches_the_mailbox_in_the_customers_language(notify) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    response = await notify.post("/notify/v1/emails", json=email(to, f"k-{to}", language="ru"))
    assert response.status_code == 202, response.text
    mailbox = await delivered(notify, to, 1)
    assert len(mailbox) == 1
    assert mailbox[0]["subject"] == "Заказ ABCD1234 получен"
    assert "Olga" in mailbox[0]["body"]


async def test_a_queued_email_wakes_the_idle_sender_at_once(serve, mailsink, monkeypatch) -> None:
    # Idle, the sender would look again only after a minute; it counts the outbox just
    # before it waits, which tells the test that it is idle now.
    monkeypatch.setattr("fabrika.notify.sender.IDLE_S", 60.0)
    idle = asyncio.Event()
    count_queued = sender._queued

    async def counted(sessions):
        idle.set()
        return await count_queued(sessions)

    monkeypatch.setattr("fabrika.notify.sender._queued", counted)
    async with serve(build()) as notify:
        await asyncio.wait_for(idle.wait(), 10)
        to = f"{uuid.uuid4().hex[:8]}@example.com"
        await notify.post("/notify/v1/emails", json=email(to, f"k-{to}"))
        assert len(await delivered(notify, to, 1, timeout_s=10)) == 1


async def test_the_same_key_sends_once_even_when_asked_concurrently(notify, settings) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    key = f"order:{uuid.uuid4()}:REGISTERED"
    responses = await asyncio.gather(
        *(notify.post("/notify/v1/emails", json=email(to, key)) for _ in range(5))
    )
    assert all(r.status_code == 202 for r in responses)
    assert len(await delivered(notify, to, 1)) == 1
    # One outbox row for the key, sent by one attempt: nothing is left to deliver again.
    assert await outbox_rows_once_sent(settings, key) == [("sent", 1)]


async def outbox_rows_once_sent(settings, key: str, timeout_s: float = 10) -> list[tuple]:
    """The outbox rows of `key` (status, attempts), once none is queued any more."""
    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    query = text("SELECT status, attempts FROM notify.deliveries WHERE key = :key")
    try:
        async with asyncio.timeout(timeout_s), engine.connect() as db:
            while True:
                rows = [tuple(row) for row in (await db.execute(query, {"key": key})).all()]
                if rows and all(status != "queued" for status, _ in rows):
                    return rows
                await db.rollback()  # a new snapshot for the next look
                await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


async def test_an_unknown_event_is_refused_and_nothing_is_sent(notify) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    response = await notify.post("/notify/v1/emails", json=email(to, f"k-{to}", event="nope"))
    assert response.status_code == 422
    assert (await notify.get("/api/v1/mailbox", params={"to": to})).json() == []


async def test_a_message_waits_in_the_outbox_while_the_mail_server_is_down(
    settings, database
) -> None:
    from sqlalchemy import select

    from fabrika.core.db import create_sessions
    from fabrika.notify.models import Delivery
    from fabrika.notify.sender import deliver_due
    from tests.ports import free_port

    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    sessions = create_sessions(engine)
    key = f"down-{uuid.uuid4().hex}"
    async with sessions() as session, session.begin():
        session.add(
            Delivery(
                key=key,
                channel="email",
                recipient="x@example.com",
                event="registered",
                subject="s",
                body="b",
                status="queued",
            )
        )
    down = settings.model_copy(update={"smtp_port": free_port()})
    await deliver_due(sessions, down)
    async with sessions() as session:
        delivery = (await session.execute(select(Delivery).where(Delivery.key == key))).scalar()
    await engine.dispose()
    assert delivery.status == "queued" and delivery.attempts == 1
    assert delivery.last_error and delivery.next_attempt_at > delivery.created_at
