"""CRM tables, in schema `crm`."""

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fabrika.core.db import schema_base

Base = schema_base("crm")
Json = JSON().with_variant(JSONB(), "postgresql")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Account(Base):
    """A B2B client: its API key is stored only as a SHA-256 hash."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2), default="en")
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    price_limit: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    items: Mapped[list] = mapped_column(Json)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    quote: Mapped[dict | None] = mapped_column(Json)
    reason: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
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
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    reason: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(lazy="raise", back_populates="events")
