"""The development mail sink files what the sender delivers, in batches, losing none."""

import asyncio
import uuid

import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from fabrika.core.db import create_engine
from fabrika.notify.mailsink import MailboxHandler
from fabrika.notify.models import Delivery, MailboxMessage
from fabrika.notify.sender import _send_batch
from tests.ports import free_port

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
async def sink(settings):
    """A sink on a port of its own; yields (settings for the sender, handler, engine)."""
    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    handler = MailboxHandler(engine)
    port = free_port()
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler), settings.host, port
    )
    yield settings.model_copy(update={"smtp_port": port}), handler, engine
    server.close()
    await server.wait_closed()
    await handler.close()
    await engine.dispose()


def delivery(to: str, subject: str, body: str) -> Delivery:
    return Delivery(key=str(uuid.uuid4()), recipient=to, subject=subject, body=body)


async def mailbox(engine, to: str) -> list[MailboxMessage]:
    async with engine.connect() as db:
        statement = select(MailboxMessage).where(MailboxMessage.recipient == to)
        return list((await db.execute(statement.order_by(MailboxMessage.id))).all())


async def filed_once(engine, to: str, count: int, timeout_s: float = 10) -> list:
    """The mailbox of `to` once it holds `count` messages (bounded)."""
    async with asyncio.timeout(timeout_s):
        while len(filed := await mailbox(engine, to)) < count:
            await asyncio.sleep(0.02)
    return filed


async def test_a_batch_sent_over_one_connection_is_filed_whole_and_readable(sink) -> None:
    settings, _, engine = sink
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    sent = [
        delivery(
            to, "Заказ ABCD1234 принят в производство", "Здравствуйте, Ольга!\nЦена 1,50 €.\n"
        ),
        delivery(to, "Order with a" + " long subject" * 12, "Plain text, line one.\nLine two."),
        delivery(to, "Third", "x" * 5000),
    ]
    results = await asyncio.to_thread(_send_batch, settings, sent)
    assert set(results.values()) == {None}
    filed = await filed_once(engine, to, len(sent))  # the sink files them a moment later
    assert [(m.subject, m.body) for m in filed] == [(d.subject, d.body) for d in sent]


async def test_closing_the_sink_files_what_it_holds(sink) -> None:
    settings, handler, engine = sink
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    await asyncio.to_thread(_send_batch, settings, [delivery(to, "Held", "body")])
    await handler.close()  # before the batching pause is over
    assert [m.subject for m in await mailbox(engine, to)] == ["Held"]
