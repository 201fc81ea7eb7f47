"""The development SMTP sink: accepts every message and files it in the notify mailbox."""

import asyncio
import signal
from email import message_from_bytes, policy

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncEngine

from fabrika.core.db import create_engine, create_sessions
from fabrika.core.logs import configure_logging
from fabrika.core.settings import Settings
from fabrika.notify.models import MailboxMessage

log = structlog.get_logger()


class MailboxHandler:
    """aiosmtpd handler that stores each recipient's copy of a message."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = create_sessions(engine)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        parsed = message_from_bytes(content, policy=policy.default)
        body_part = parsed.get_body(preferencelist=("plain",))
        body = body_part.get_content() if body_part is not None else ""
        async with self.sessions() as db, db.begin():
            for recipient in envelope.rcpt_tos:
                db.add(
                    MailboxMessage(
                        recipient=recipient.lower(),
                        sender=envelope.mail_from or "",
                        subject=str(parsed.get("Subject", "")),
                        body=body,
                    )
                )
        log.info("mail caught", to=envelope.rcpt_tos, subject=str(parsed.get("Subject", "")))
        return "250 Message accepted for delivery"


async def serve_mailsink(settings: Settings) -> None:
    """Run the sink until SIGTERM or SIGINT."""
    configure_logging("mailsink", settings.log_level)
    engine = create_engine(settings.sqlalchemy_url, pool_size=4)
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
    await engine.dispose()
