"""CRM tables, in schema `crm`."""

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import JsonValue
from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fabrika.contracts.orders import Channel, Language, OrderStatus
from fabrika.contracts.quotes import QuoteDocument
from fabrika.core.db import JSON_DOCUMENT, NAMING_CONVENTION, status_type, utc_now


class Base(DeclarativeBase):
    metadata = MetaData(schema="crm", naming_convention=NAMING_CONVENTION)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[Language] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Plan(Base):
    """A named set of quotas (plans.toml seeds them; operators may change them)."""

    __tablename__ = "plans"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    # PolicyKind → QuotaPolicy, as JSON
    policies: Mapped[dict[str, JsonValue]] = mapped_column(JSON_DOCUMENT)
    max_quote_jobs: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Account(Base):
    """A B2B client, on a plan, with API keys of its own."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    language: Mapped[Language] = mapped_column(String(2), default="en")
    plan: Mapped[str] = mapped_column(String(40), default="standard")
    price_limit: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ApiKey(Base):
    """One of an account's keys, stored only as its SHA-256; `prefix` and `last4` are all
    that is ever shown of it. A rotated key keeps working until its `expires_at`."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    last4: Mapped[str] = mapped_column(String(4))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON_DOCUMENT)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rotated_from: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # Orders newest first, page by page (keyset pagination): all of them, a partner's,
        # a customer's.
        Index("ix_crm_orders_submitted", "submitted_at", "id"),
        Index("ix_crm_orders_account_submitted", "account_id", "submitted_at", "id"),
        Index("ix_crm_orders_customer_submitted", "customer_id", "submitted_at", "id"),
        Index(
            "uq_crm_orders_account_external_ref",
            "account_id",
            "external_ref",
            unique=True,
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(String(8))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(status_type(OrderStatus), index=True)
    items: Mapped[list[JsonValue]] = mapped_column(JSON_DOCUMENT)  # list of Item
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    quote: Mapped[QuoteDocument | None] = mapped_column(JSON_DOCUMENT)
    reason: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    cancel_requested_by: Mapped[str | None] = mapped_column(String(16))
    cancel_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # A partner's own reference (its PO number), unique per account.
    external_ref: Mapped[str | None] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(lazy="raise")
    events: Mapped[list["OrderEvent"]] = relationship(
        lazy="raise", order_by="OrderEvent.id", back_populates="order"
    )


class OrderEvent(Base):
    """One status change; unique per order and status, which makes transitions idempotent."""

    __tablename__ = "order_events"
    __table_args__ = (UniqueConstraint("order_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"))
    status: Mapped[OrderStatus] = mapped_column(status_type(OrderStatus))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(lazy="raise", back_populates="events")
