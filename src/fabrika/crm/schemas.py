"""What other services send to and receive from the CRM."""

import datetime as dt
from uuid import UUID

from pydantic import BaseModel, Field

from fabrika.contracts.orders import Channel, Customer, Item, OrderStatus
from fabrika.contracts.quotes import QuoteDocument
from fabrika.contracts.saga import Decider


class Transition(BaseModel):
    status: OrderStatus
    reason: str | None = Field(None, max_length=2000)
    reason_code: str | None = Field(None, max_length=64)
    price: float | None = None
    currency: str | None = None
    quote: QuoteDocument | None = None


class RegisterOrder(BaseModel):
    channel: Channel
    customer: Customer
    items: list[Item]
    due_date: dt.date | None = None
    submitted_at: dt.datetime
    deadline_at: dt.datetime | None = None
    account_id: UUID | None = None
    external_ref: str | None = Field(None, max_length=100)
    # Status changes past REGISTERED known when registering (an order priced at once),
    # recorded in the same transaction as if posted to its transitions afterwards.
    transitions: list[Transition] = Field(default_factory=list, max_length=5)


class OrderState(BaseModel):
    """What the saga needs back from the registry: where the order stands, and whether
    its customer or an operator asked to cancel it."""

    id: UUID
    status: OrderStatus
    cancel_requested_by: str | None = None


class CancellationRequest(BaseModel):
    by: Decider


class OrderSummary(BaseModel):
    """One line of an order list (operators', or a partner's own)."""

    id: UUID
    status: OrderStatus
    channel: Channel
    customer_email: str
    submitted_at: dt.datetime
    deadline_at: dt.datetime | None
    price: float | None
    currency: str | None
    reason: str | None
    account_id: UUID | None = None
    external_ref: str | None = None


class OrderFilter(BaseModel):
    """Which orders a list shows; every field left out lets all through."""

    account_id: UUID | None = None
    status: OrderStatus | None = None
    channel: Channel | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    external_ref: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=320)
    overdue: bool = False


class OrderPage(BaseModel):
    """A page of orders, newest first; `next_cursor` asks for the next one (None: the end)."""

    orders: list[OrderSummary]
    next_cursor: str | None


class OrderStats(BaseModel):
    by_status: dict[OrderStatus, int]
    in_flight: int
    overdue: int
