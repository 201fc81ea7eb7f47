"""The order vocabulary: statuses, customers, items, the submission the saga runs on, and
the order as its customer and operators see it."""

import datetime as dt
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fabrika.contracts.quotes import QuoteDocument
from fabrika.core.addresses import EmailAddress


class OrderStatus(StrEnum):
    NEW = "NEW"
    REGISTERED = "REGISTERED"
    QUOTED = "QUOTED"
    CONFIRMED = "CONFIRMED"
    RESERVED = "RESERVED"
    ACCEPTED = "ACCEPTED"
    CANCELLED = "CANCELLED"


TERMINAL = frozenset({OrderStatus.ACCEPTED, OrderStatus.CANCELLED})
Channel = Literal["shop", "b2b"]
Language = Literal["ru", "en"]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    name: str = Field(min_length=1, max_length=200)
    language: Language = "en"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    material: str = Field(min_length=1, max_length=64)
    process: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)
    finish: str = Field("none", min_length=1, max_length=64)
    model_id: UUID | None = None
    dimensions_mm: tuple[float, float, float] | None = None

    @model_validator(mode="after")
    def _one_geometry(self) -> Self:
        if (self.model_id is None) == (self.dimensions_mm is None):
            raise ValueError("give either model_id (an uploaded STL) or dimensions_mm, not both")
        if self.dimensions_mm is not None and not all(0 < d <= 5000 for d in self.dimensions_mm):
            raise ValueError("dimensions_mm must be three sizes between 0 and 5000 mm")
        return self


class OrderIn(BaseModel):
    """An order as a customer submits it."""

    model_config = ConfigDict(extra="forbid")

    customer: Customer
    items: list[Item] = Field(min_length=1, max_length=50)
    due_date: dt.date | None = None


class Submission(BaseModel):
    """Everything the saga needs, fixed when the order is submitted."""

    order_id: UUID
    channel: Channel
    customer: Customer
    items: list[Item]
    due_date: dt.date | None = None
    submitted_at: dt.datetime
    deadline_at: dt.datetime
    account_id: UUID | None = None
    price_limit: float | None = None
    external_ref: str | None = None
    # A partner's finished quote whose price the order takes (while the quote is valid).
    quote_job_id: str | None = None


class HistoryEntry(BaseModel):
    status: OrderStatus
    at: dt.datetime
    reason: str | None = None


class CustomerOrder(BaseModel):
    """An order as its customer (or partner) sees it: its status with every change and
    when, its items, price and quote, and why it was cancelled if it was."""

    id: UUID
    status: OrderStatus
    history: list[HistoryEntry]
    items: list[Item]
    due_date: dt.date | None = None
    price: float | None = None
    currency: str | None = None
    quote: QuoteDocument | None = None
    reason: str | None = None
    reason_code: str | None = None
    deadline_at: dt.datetime | None = None
    external_ref: str | None = None


class OrderView(CustomerOrder):
    """An order as the CRM and operators see it: whose it is, too."""

    channel: Channel
    account_id: UUID | None = None
    customer_email: str | None = None

    def for_customer(self) -> CustomerOrder:
        return CustomerOrder.model_validate(
            self.model_dump(exclude={"channel", "account_id", "customer_email"})
        )


class Accepted(BaseModel):
    """A request taken for processing in the background; follow `status_url`."""

    id: UUID
    status: OrderStatus
    status_url: str
