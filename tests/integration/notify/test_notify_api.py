"""Emails go out once per key through a real SMTP server into the mailbox."""

import asyncio
import uuid

import pytest

from fabrika.core.db import create_engine
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
    await engine.dispose()


@pytest.fixture
async def notify(serve, mailsink):
    async with serve(build()) as client:
        yield client


def email(to: str, key: str, event: str = "registered", language: str = "en") -> dict:
    params = {"name": "Olga", "order_ref": "ABCD1234", "status_url": "http://x/o/1"}
    return {"key": key, "to": to, "language": language, "event": event, "params": params}


async def test_an_email_reaches_the_mailbox_in_the_customers_language(notify) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    response = await notify.post("/notify/v1/emails", json=email(to, f"k-{to}", language="ru"))
    assert response.status_code == 200, response.text
    mailbox = (await notify.get("/api/v1/mailbox", params={"to": to})).json()
    assert len(mailbox) == 1
    assert mailbox[0]["subject"] == "Заказ ABCD1234 получен"
    assert "Olga" in mailbox[0]["body"]


async def test_the_same_key_sends_once_even_when_asked_concurrently(notify) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    key = f"order:{uuid.uuid4()}:REGISTERED"
    responses = await asyncio.gather(
        *(notify.post("/notify/v1/emails", json=email(to, key)) for _ in range(5))
    )
    assert all(r.status_code == 200 for r in responses)
    mailbox = (await notify.get("/api/v1/mailbox", params={"to": to})).json()
    assert len(mailbox) == 1


async def test_an_unknown_event_is_refused_and_nothing_is_sent(notify) -> None:
    to = f"{uuid.uuid4().hex[:8]}@example.com"
    response = await notify.post("/notify/v1/emails", json=email(to, f"k-{to}", event="nope"))
    assert response.status_code == 422
    assert (await notify.get("/api/v1/mailbox", params={"to": to})).json() == []
