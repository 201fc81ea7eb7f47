"""CRM tables, in schema `crm`."""

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import JsonValue
from sqlalchemy import Date, DateTime, ForeignKey, MetaData, Numeric, String, Text, UniqueConstraint
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


class Account(Base):
    """A B2B client: its API key is stored only as a SHA-256 hash."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    language: Mapped[Language] = mapped_column(String(2), default="en")
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    price_limit: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Order(Base):
    __tablename__ = "orders"

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
