"""MES use cases for capacity and production: reserve, release, accept. Session first."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.contracts.production import (
    AcceptanceResult,
    JobStatus,
    ReservationResult,
    ReservationStatus,
    SlotView,
)
from fabrika.contracts.quotes import QuoteDocument
from fabrika.core.db import table_of
from fabrika.core.errors import Conflict, NotFound, Unprocessable
from fabrika.mes.capacity import Demand, NoCapacity, Slot, plan_slots
from fabrika.mes.models import ProductionJob, Reservation, StoredQuote

HELD, CONSUMED, RELEASED = (
    ReservationStatus.HELD,
    ReservationStatus.CONSUMED,
    ReservationStatus.RELEASED,
)
# Acceptance writes and reads through the tables (SQLAlchemy Core): ORM-enabled statements
# also track loaded objects, which a request that loads none pays for in CPU.
JOBS = table_of(ProductionJob)
QUOTES = table_of(StoredQuote)
RESERVATIONS = table_of(Reservation)


def demands_of(quote_document: QuoteDocument) -> list[Demand]:
    return [Demand(line["machine_id"], line["hours"]) for line in quote_document["lines"]]


async def stored_quote(session: AsyncSession, order_id: uuid.UUID) -> QuoteDocument | None:
    """The quote kept for the order (the first one MES gave it), if any."""
    document: QuoteDocument | None = await session.scalar(
        select(QUOTES.c.document).where(QUOTES.c.order_id == order_id)
    )
    return document


async def booked_until(session: AsyncSession, machine_ids: Sequence[str]) -> dict[str, dt.datetime]:
    """When each machine's last live booking ends (machines never booked are left out).

    One max() per machine, so that each reads the partial index of live bookings backwards
    and stops at its first entry; a GROUP BY over all machines scanned every booking.
    """
    machines = sorted(set(machine_ids))
    row = (await session.execute(booked_until_statement(machines))).one()
    return {machine: ends for machine, ends in zip(machines, row, strict=True) if ends is not None}


def booked_until_statement(machine_ids: Sequence[str]) -> Select[*tuple[Any, ...]]:
    return select(
        *(
            select(func.max(Reservation.ends_at))
            .where(Reservation.machine_id == machine_id, Reservation.status != RELEASED)
            .scalar_subquery()
            for machine_id in machine_ids
        )
    )


async def _lock_machines(session: AsyncSession, machine_ids: Sequence[str]) -> None:
    # Transaction-scoped advisory locks in a fixed order: two orders booking the same
    # machine serialise instead of both taking the same slot, and cannot deadlock. The
    # bookings are read by a later statement: one statement reads the snapshot taken when
    # it began, so a read in the statement that waited for the lock would miss the booking
    # its holder committed meanwhile (tests: "never share machine time").
    for machine_id in sorted(set(machine_ids)):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"mes:{machine_id}"}
        )


def _slot_view(reservations: Sequence[Reservation | Slot]) -> list[SlotView]:
    return [
        {
            "machine_id": r.machine_id,
            "starts_at": r.starts_at.isoformat(),
            "ends_at": r.ends_at.isoformat(),
        }
        for r in reservations
    ]


async def _reservations(session: AsyncSession, order_id: uuid.UUID) -> list[Reservation]:
    rows = await session.execute(
        select(Reservation).where(Reservation.order_id == order_id).order_by(Reservation.id)
    )
    return list(rows.scalars())


async def reserve(
    session: AsyncSession, *, order_id: uuid.UUID, due_date: dt.date | None
) -> ReservationResult:
    """Hold machine time for a quoted order; reserving again returns the same slots."""
    existing = await _reservations(session, order_id)
    if existing:
        _refuse_if_released(order_id, [r.status for r in existing])
        return {"order_id": str(order_id), "slots": _slot_view(existing)}
    slots = await _book(
        session, order_id, await stored_quote(session, order_id), due_date, status=HELD
    )
    return {"order_id": str(order_id), "slots": _slot_view(slots)}


def _refuse_if_released(order_id: uuid.UUID, statuses: Sequence[str]) -> None:
    if RELEASED in statuses:
        raise Conflict(f"The reservation for order {order_id} was released already.")


async def _book(
    session: AsyncSession,
    order_id: uuid.UUID,
    quote: QuoteDocument | None,
    due_date: dt.date | None,
    *,
    status: ReservationStatus,
) -> list[Slot]:
    """Plan the quoted order's machine time after every live booking and book it."""
    if quote is None:
        raise NotFound(f"Order {order_id} has no quote to reserve capacity for.")
    demands = demands_of(quote)
    machine_ids = [d.machine_id for d in demands]
    await _lock_machines(session, machine_ids)
    try:
        slots = plan_slots(
            demands,
            await booked_until(session, machine_ids),
            now=dt.datetime.now(dt.UTC),
            due_date=due_date,
        )
    except NoCapacity as exc:
        raise Unprocessable(
            str(exc), type="no-capacity", title="No capacity", code=exc.code
        ) from exc
    booked = [
        {
            "order_id": order_id,
            "machine_id": s.machine_id,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "status": status,
        }
        for s in slots
    ]
    await session.execute(insert(RESERVATIONS), booked)
    return slots


async def release(session: AsyncSession, *, order_id: uuid.UUID) -> int:
    """Give back held machine time; releasing twice (or nothing) is fine."""
    released = await session.execute(
        update(RESERVATIONS)
        .where(RESERVATIONS.c.order_id == order_id, RESERVATIONS.c.status == HELD)
        .values(status=RELEASED)
        .returning(RESERVATIONS.c.id)
    )
    return len(released.all())


async def accept(
    session: AsyncSession,
    *,
    order_id: uuid.UUID,
    accept_by: dt.datetime | None = None,
    reserving: bool = False,
    due_date: dt.date | None = None,
) -> AcceptanceResult:
    """Turn held machine time into a production job; accepting twice returns the same job.

    A first acceptance after `accept_by` is refused: deciding it here, in the transaction
    that would create the job, leaves no moment at which the caller could believe the
    order refused while production has it. With `reserving`, an order that holds no
    machine time reserves it first (as `reserve` does) in the same transaction.

    The job is inserted first: a concurrent acceptance of the same order waits for this
    transaction and then finds the job, instead of booking machine time a second time."""
    created = await session.scalar(
        insert(JOBS)
        .values(order_id=order_id, status=JobStatus.QUEUED)
        .on_conflict_do_nothing(index_elements=[JOBS.c.order_id])
        .returning(JOBS.c.status)
    )
    if created is None:  # accepted before: the same job
        existing = select(JOBS.c.status).where(JOBS.c.order_id == order_id)
        return {"order_id": str(order_id), "status": (await session.execute(existing)).scalar_one()}
    if accept_by is not None and dt.datetime.now(dt.UTC) >= accept_by:
        raise Conflict(  # the request's transaction rolls back, the job with it
            "The order could not be processed in the time allowed for it.",
            code="deadline_exceeded",
        )
    quote, statuses = (await session.execute(_quote_and_bookings(order_id))).one()
    statuses = statuses or []
    if HELD in statuses:
        await session.execute(
            update(RESERVATIONS)
            .where(RESERVATIONS.c.order_id == order_id, RESERVATIONS.c.status == HELD)
            .values(status=CONSUMED)
        )
    elif reserving:
        _refuse_if_released(order_id, statuses)
        # Booked as the job's straight away: held and consumed in one transaction.
        await _book(session, order_id, quote, due_date, status=CONSUMED)
    else:
        raise Conflict(
            f"Order {order_id} holds no machine time; reserve capacity before accepting.",
            code="no_reservation",
        )
    return {"order_id": str(order_id), "status": created}


def _quote_and_bookings(order_id: uuid.UUID) -> Select[*tuple[Any, ...]]:
    """The order's stored quote and the statuses of its bookings, in one statement."""
    return select(
        select(QUOTES.c.document).where(QUOTES.c.order_id == order_id).scalar_subquery(),
        select(func.array_agg(RESERVATIONS.c.status))
        .where(RESERVATIONS.c.order_id == order_id)
        .scalar_subquery(),
    )
