"""MES tables, in schema `mes`."""

import datetime as dt
import uuid

from pydantic import JsonValue
from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fabrika.contracts.production import JobStatus, ReservationStatus
from fabrika.contracts.quotes import QuoteDocument
from fabrika.core.db import JSON_DOCUMENT, NAMING_CONVENTION, status_type, utc_now


class Base(DeclarativeBase):
    metadata = MetaData(schema="mes", naming_convention=NAMING_CONVENTION)


class CatalogVersion(Base):
    """The whole catalog, immutable per version: a change writes a new version, so caches
    keyed by version can never serve an old price after the change."""

    __tablename__ = "catalog_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, JsonValue]] = mapped_column(JSON_DOCUMENT)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Model(Base):
    """A customer's 3D model, measured on upload; identical files share one row."""

    __tablename__ = "models"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    triangles: Mapped[int] = mapped_column(Integer)
    volume_mm3: Mapped[float]
    area_mm2: Mapped[float]
    bbox_mm: Mapped[list[float]] = mapped_column(JSON_DOCUMENT)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class ModelFile(Base):
    __tablename__ = "model_files"

    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("models.id"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StoredQuote(Base):
    """The quote given for an order; asking again returns the same quote."""

    __tablename__ = "quotes"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    catalog_version: Mapped[int] = mapped_column(Integer)
    document: Mapped[QuoteDocument] = mapped_column(JSON_DOCUMENT)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Reservation(Base):
    """Machine time held for an order: held → consumed (accepted) or released."""

    __tablename__ = "reservations"
    # When a machine is next free: its live bookings by end, read backwards (production.py).
    __table_args__ = (
        Index(
            "ix_mes_reservations_machine_live_end",
            "machine_id",
            "ends_at",
            postgresql_where=text("status <> 'released'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    machine_id: Mapped[str] = mapped_column(String(64), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[ReservationStatus] = mapped_column(status_type(ReservationStatus))


class ProductionJob(Base):
    __tablename__ = "production_jobs"

    order_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[JobStatus] = mapped_column(status_type(JobStatus), default=JobStatus.QUEUED)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
