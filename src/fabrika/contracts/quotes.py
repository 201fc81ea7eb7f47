"""The quote as the MES makes it and everyone else reads it: the document, its lines, and
the quote job that computes it."""

from enum import StrEnum
from typing import Literal, NotRequired

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

# Statuses inside JSON documents are validated as their enum but kept as plain strings:
# DBOS pickles what a step returns, and a plain string outlives any move of the enum.
PLAIN_STATUSES = ConfigDict(use_enum_values=True)


class BreakdownEntry(TypedDict):
    """One labelled amount of a line; a line's entries add up to its total."""

    label: str
    amount: float


class QuoteLine(TypedDict):
    """One line of parts: how many, how made, on which machine, at what price."""

    summary: str
    material: str
    process: str
    finish: str
    quantity: int
    machine_id: str
    hours: float
    unit_price: float
    discount: float
    line_total: float
    breakdown: list[BreakdownEntry]


class QuoteDocument(TypedDict):
    """An order's price: kept by the MES for the order's reservation and by the CRM for
    the customer; `ready_by` (ISO date) is when the parts could leave if booked now."""

    total: float
    currency: str
    production_hours: float
    ready_by: str | None
    catalog_version: int
    lines: list[QuoteLine]
    valid_until: NotRequired[str]  # ISO time: an order may take this price until then


class QuoteJobStatus(StrEnum):
    """Where a quote job is: waiting for a worker, being computed, or ended one way."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"
    CANCELLED = "cancelled"


UNFINISHED_JOB = frozenset({QuoteJobStatus.QUEUED, QuoteJobStatus.RUNNING})


class Progress(TypedDict):
    """Steps of a quote job done so far: one per model to analyse, one for pricing."""

    done: int
    total: int


class QuoteError(TypedDict):
    """Why a quote job did not give a price: a machine code and a sentence for people."""

    code: str | None
    detail: str | None


@with_config(PLAIN_STATUSES)
class QuoteJobView(TypedDict):
    """A quote job as its API answers: its status, then its quote or the reason it has none."""

    id: str
    status: QuoteJobStatus
    progress: NotRequired[Progress]
    quote: NotRequired[QuoteDocument]
    error: NotRequired[QuoteError]
    status_url: NotRequired[str]


class Priced(TypedDict):
    """A pricing that gave a quote (what a quote job records as its result)."""

    ok: Literal[True]
    quote: QuoteDocument
    progress: NotRequired[Progress]


class PricingRefused(TypedDict):
    """A pricing refused for a reason the customer can act on."""

    ok: Literal[False]
    code: str
    detail: str
    progress: NotRequired[Progress]


PricingResult = Priced | PricingRefused
