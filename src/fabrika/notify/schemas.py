"""What other services send to the notify service."""

import datetime as dt

from pydantic import BaseModel, Field

from fabrika.contracts.orders import Language
from fabrika.contracts.saga import EmailParams
from fabrika.core.addresses import EmailAddress


class EmailRequest(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="Idempotency key, e.g. order:event")
    to: EmailAddress
    language: Language = "en"
    event: str = Field(min_length=1, max_length=64)
    params: EmailParams = Field(default_factory=lambda: EmailParams())


class DeliveryView(BaseModel):
    key: str
    status: str
    subject: str


class MailboxEntry(BaseModel):
    to: str
    subject: str
    body: str
    at: dt.datetime
