"""What the MES answers about machine time and production jobs."""

from enum import StrEnum

from pydantic import with_config
from typing_extensions import TypedDict

from fabrika.contracts.quotes import PLAIN_STATUSES


class ReservationStatus(StrEnum):
    """Machine time held for an order: held, then consumed (accepted) or released."""

    HELD = "held"
    CONSUMED = "consumed"
    RELEASED = "released"


class JobStatus(StrEnum):
    """A production job: accepted into production and waiting for its machine."""

    QUEUED = "queued"


class SlotView(TypedDict):
    machine_id: str
    starts_at: str
    ends_at: str


class ReservationResult(TypedDict):
    """The machine time an order holds."""

    order_id: str
    slots: list[SlotView]


class ReleaseResult(TypedDict):
    order_id: str
    released: int


@with_config(PLAIN_STATUSES)
class AcceptanceResult(TypedDict):
    """An order accepted into production: its job's status."""

    order_id: str
    status: JobStatus
