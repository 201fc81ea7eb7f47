"""The development SMTP sink: accepts every message and files it in the notify mailbox.

It stands in for the mail relay of a real deployment, on the same machine as the platform,
so what it costs is taken from the platform: it reads only what the mailbox shows (the
plain-text body and the decoded subject, with the email package's fast compat32 policy)
and files messages in batches, one INSERT for all that arrived within FLUSH_S. A message
is answered 250 before its batch is written: this is a development tool, and a sink killed
outright loses at most that last fraction of a second. Stopping it files what it holds.
"""

import asyncio
import contextlib
import re
import signal
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import structlog
import uvloop
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from fabrika.core.db import create_engine
from fabrika.core.logs import configure_logging
from fabrika.core.settings import Settings
from fabrika.notify.models import MailboxMessage

log = structlog.get_logger()
FLUSH_S = 0.1
RETRY_S = 1.0


def _subject(message: Message) -> str:
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", message.get("Subject", ""))
    return str(make_header(decode_header(unfolded)))


def _plain_body(message: Message) -> str:
    part = next(
        (p for p in message.walk() if p.get_content_type() == "text/plain"),
        None,
    )
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return text.replace("\r\n", "\n")  # SMTP's line ends, not the message's


class MailboxHandler:
    """aiosmtpd handler that files each recipient's copy of a message, in batches."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.pending: list[dict[str, str]] = []
        self.flusher: asyncio.Task[None] | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        parsed = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode())
        subject, body = _subject(parsed), _plain_body(parsed)
        self.pending.extend(
            {
                "recipient": recipient.lower(),
                "sender": envelope.mail_from or "",
                "subject": subject,
                "body": body,
            }
            for recipient in envelope.rcpt_tos
        )
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._flush_soon())
        return "250 Message accepted for delivery"

    async def _flush_soon(self) -> None:
        pause = FLUSH_S
        while self.pending:
            await asyncio.sleep(pause)
            pause = FLUSH_S if await self.flush() else RETRY_S

    async def flush(self) -> bool:
        """File every message received so far; False (messages kept) if Postgres failed."""
        batch, self.pending = self.pending, []
        if not batch:
            return True
        try:
            async with self.engine.begin() as db:
                await db.execute(insert(MailboxMessage), batch)
        except Exception as exc:  # any failure: keep the messages and try again
            self.pending[:0] = batch
            log.warning("mailbox write failed, will retry", error=repr(exc), held=len(batch))
            return False
        return True

    async def close(self) -> None:
        if self.flusher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.flusher
        await self.flush()


async def serve_mailsink(settings: Settings) -> None:
    """Run the sink until SIGTERM or SIGINT."""
    configure_logging("mailsink", settings.log_level)
    engine = create_engine(settings.sqlalchemy_url, pool_size=2)
    handler = MailboxHandler(engine)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="fabrika-mailsink"), settings.host, settings.smtp_port
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("mail sink listening", port=settings.smtp_port)
    await stop.wait()
    server.close()
    await server.wait_closed()
    await handler.close()
    await engine.dispose()


def run_mailsink(settings: Settings) -> None:
    """The sink on uvloop, as the services run."""
    uvloop.run(serve_mailsink(settings))
