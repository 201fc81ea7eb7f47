"""The quote as customers, operators and the saga read it: a JSON document. Pure."""

import datetime as dt
from collections.abc import Sequence

from fabrika.contracts.quotes import QuoteDocument, QuoteLine
from fabrika.mes.catalog import Catalog
from fabrika.mes.pricing import ItemSpec, LineQuote, Quote


def line_summary(catalog: Catalog, spec: ItemSpec, line: LineQuote, currency: str) -> str:
    """E.g. "3 × PLA, FDM, 40 × 30 × 20 mm: 11.40 EUR each, 34.19 EUR"."""
    size = " × ".join(f"{d:g}" for d in (round(v, 1) for v in spec.measurements.bbox_mm))
    material = catalog.material(spec.material).name
    process = catalog.process(spec.process).name
    return (
        f"{spec.quantity} × {material}, {process}, {size} mm: "
        f"{line.unit_price:.2f} {currency} each, {line.line_total:.2f} {currency}"
    )


def quote_document(
    catalog: Catalog,
    quote: Quote,
    specs: Sequence[ItemSpec],
    *,
    catalog_version: int,
    ready_by: dt.date | None,
) -> QuoteDocument:
    lines: list[QuoteLine] = [
        {
            "summary": line_summary(catalog, spec, line, quote.currency),
            "material": spec.material,
            "process": spec.process,
            "finish": spec.finish,
            "quantity": line.quantity,
            "machine_id": line.machine_id,
            "hours": round(line.production_hours, 3),
            "unit_price": line.unit_price,
            "discount": line.discount,
            "line_total": line.line_total,
            "breakdown": [{"label": label, "amount": amount} for label, amount in line.breakdown],
        }
        for spec, line in zip(specs, quote.lines, strict=True)
    ]
    return {
        "total": quote.total,
        "currency": quote.currency,
        "production_hours": round(quote.production_hours, 3),
        "ready_by": ready_by.isoformat() if ready_by else None,
        "catalog_version": catalog_version,
        "lines": lines,
    }
