"""B2B tables, in schema `b2b`: the ledger of partners' unsafe calls (idempotency and
audit), and which account owns each model, quote and order reference."""

import datetime as dt
import uuid

from pydantic import JsonValue
from sqlalchemy import DateTime, Index, Integer, LargeBinary, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fabrika.core.db import JSON_DOCUMENT, NAMING_CONVENTION, utc_now


class Base(DeclarativeBase):
    metadata = MetaData(schema="b2b", naming_convention=NAMING_CONVENTION)


class PartnerRequest(Base):
    """One unsafe call under an Idempotency-Key: what was asked (its fingerprint), by which
    key, what it made and what it answered. A retry is answered from here; while the first
    is running, `locked_until` keeps others out, and a call whose process died is taken
    over once it passes. Kept a day (`expires_at`)."""

    __tablename__ = "requests"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_id: Mapped[uuid.UUID]
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8))  # running | done
    locked_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, JsonValue] | None] = mapped_column(JSON_DOCUMENT)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    resource_id: Mapped[str | None] = mapped_column(String(100))
    policy: Mapped[str | None] = mapped_column(String(16))
    trace_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class OwnedModel(Base):
    """An uploaded model a partner may use: only the account that uploaded it."""

    __tablename__ = "models"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    model_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class OwnedQuote(Base):
    """A partner's quote job at the MES, with the items it prices (an order naming the
    quote orders them); `finished_at` once it was seen to end."""

    __tablename__ = "quotes"
    __table_args__ = (
        Index(
            "ix_b2b_quotes_account_running",
            "account_id",
            postgresql_where=text("finished_at IS NULL"),
        ),
    )

    job_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    account_id: Mapped[uuid.UUID]
    items: Mapped[list[JsonValue]] = mapped_column(JSON_DOCUMENT)  # what was priced
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OwnedOrder(Base):
    """A partner's order and its own reference (PO number), unique per account."""

    __tablename__ = "orders"
    __table_args__ = (
        Index(
            "uq_b2b_orders_account_external_ref",
            "account_id",
            "external_ref",
            unique=True,
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID]
    external_ref: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
