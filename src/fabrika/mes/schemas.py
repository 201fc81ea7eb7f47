"""What crosses the wire to and from the MES."""

import datetime as dt
from uuid import UUID

from pydantic import BaseModel, Field

from fabrika.contracts.orders import Item


class ModelView(BaseModel):
    id: UUID
    sha256: str
    size_bytes: int
    triangles: int
    volume_mm3: float
    area_mm2: float
    bbox_mm: tuple[float, float, float]


class ItemsIn(BaseModel):
    items: list[Item] = Field(min_length=1, max_length=50)


class QuoteRequest(BaseModel):
    """Items to price; with `order_id` the quote is kept for that order's reservation.
    `job_id` names the job (a retried request then finds it); `from_job`, with an order,
    takes that finished job's quote and price instead of pricing again."""

    order_id: UUID | None = None
    items: list[Item] = Field(min_length=1, max_length=50)
    job_id: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,80}$")
    from_job: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,80}$")


class ReservationRequest(BaseModel):
    order_id: UUID
    due_date: dt.date | None = None


class JobRequest(BaseModel):
    order_id: UUID
    # Past this moment an order not yet accepted is refused: the caller's time for
    # forward work is over. Accepting an order again answers as before, whenever.
    accept_by: dt.datetime | None = None
    # Hold the order's machine time first, in the same transaction, if it holds none.
    reserve: bool = False
    due_date: dt.date | None = None
