"""What partners send to and receive from the B2B entry."""

import datetime as dt
from typing import Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fabrika.contracts.orders import Item, OrderStatus
from fabrika.contracts.quotes import Progress, QuoteDocument, QuoteError, QuoteJobStatus

# A partner's own reference: printable, no control characters, as an ERP would send it.
EXTERNAL_REF = r"^[^\x00-\x1f\x7f]{1,100}$"


class PartnerOrderIn(BaseModel):
    """An order: its items, or a finished quote whose price it takes while the quote is
    valid; optionally your own reference for it (unique in your account)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "material": "pla",
                            "process": "fdm",
                            "quantity": 20,
                            "dimensions_mm": [40, 30, 20],
                        }
                    ],
                    "external_ref": "PO-2026-0042",
                },
                {"quote_id": "5d0c7b9e-3f7a-5b1e-9c2d-0a4e6f8b1c3d", "external_ref": "PO-43"},
            ]
        },
    )

    items: list[Item] | None = Field(None, min_length=1, max_length=50)
    quote_id: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,80}$")
    due_date: dt.date | None = None
    external_ref: str | None = Field(None, pattern=EXTERNAL_REF)

    @model_validator(mode="after")
    def _items_or_quote(self) -> Self:
        if (self.items is None) == (self.quote_id is None):
            raise ValueError("give either items or the quote_id of a finished quote, not both")
        return self


class PartnerOrderSummary(BaseModel):
    """One of your orders in a list."""

    id: UUID
    status: OrderStatus
    submitted_at: dt.datetime
    deadline_at: dt.datetime | None
    price: float | None
    currency: str | None
    reason: str | None
    external_ref: str | None


class PartnerOrderPage(BaseModel):
    """Your orders, newest first; pass `next_cursor` as `cursor` for the next page."""

    data: list[PartnerOrderSummary]
    next_cursor: str | None


class PartnerQuoteIn(BaseModel):
    """Parts to price; the price holds for the quote's validity if you order with it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "material": "petg",
                            "process": "fdm",
                            "quantity": 5,
                            "model_id": "0b7e2c1a-9d4f-4e3b-8a6c-5f1d2e3c4b5a",
                        }
                    ]
                }
            ]
        },
    )

    items: list[Item] = Field(min_length=1, max_length=50)


class PartnerQuote(BaseModel):
    """A quote: queued, running (with progress), done (with the quote and until when it
    is valid), or refused (with the reason)."""

    id: str
    status: QuoteJobStatus
    progress: Progress | None = None
    quote: QuoteDocument | None = None
    error: QuoteError | None = None
    status_url: str
