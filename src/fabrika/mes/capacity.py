"""Production capacity: placing an order's machine time after what is already booked. Pure."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Demand:
    machine_id: str
    hours: float


@dataclass(frozen=True)
class Slot:
    machine_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class NoCapacity(Exception):
    """The order cannot be finished by its due date with the machines' current bookings."""

    code = "no_capacity"


def ready_date(ends_at: dt.datetime, handling_days: int) -> dt.date:
    """The day the parts can leave: the day after production ends plus handling."""
    return ends_at.date() + dt.timedelta(days=handling_days)


def plan_slots(
    demands: Sequence[Demand],
    booked_until: Mapping[str, dt.datetime],
    *,
    now: dt.datetime,
    due_date: dt.date | None,
    handling_days: int = 1,
) -> list[Slot]:
    """Book each demand on its machine right after the machine's last booking.

    Raises NoCapacity when the last slot would make the order ready after its due date.
    """
    free_from = dict(booked_until)
    slots = []
    for demand in demands:
        start = max(now, free_from.get(demand.machine_id, now))
        end = start + dt.timedelta(hours=demand.hours)
        free_from[demand.machine_id] = end
        slots.append(Slot(demand.machine_id, start, end))
    if due_date is not None and slots:
        ready = ready_date(max(s.ends_at for s in slots), handling_days)
        if ready > due_date:
            raise NoCapacity(
                f"We cannot make the order by {due_date.isoformat()}: with the machines' "
                f"current bookings the earliest date is {ready.isoformat()}. Choose a later "
                "due date or fewer parts."
            )
    return slots
