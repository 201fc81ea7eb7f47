"""How other services call the MES."""

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from cachetools import TTLCache
from fastapi import Depends, Request
from pydantic import JsonValue, TypeAdapter

from fabrika.contracts.catalog import PublishedCatalog
from fabrika.contracts.orders import Item
from fabrika.contracts.production import AcceptanceResult
from fabrika.contracts.quotes import QuoteJobView
from fabrika.core.http import Body, ServiceClient, call_json
from fabrika.core.settings import Settings
from fabrika.core.workflows import register_queue
from fabrika.mes.schemas import ModelView

QUOTE_QUEUE = "quotes"
QUOTE_WORKFLOW = "quote_job"


def register_quote_queue(settings: Settings) -> None:
    """Quotes are CPU-bound: each worker process takes one at a time; add workers to scale.

    One at a time also bounds a worker's memory: a 100 MB model takes ~0.6 GB to analyse.
    A worker takes a job only when it polls (three queries), so the interval bounds what
    one worker serves and delays each quote. Measured with models of 60,000 triangles, one
    worker, every 0.1 s: 8.7 jobs/s, p95 0.19 s, 53 ms/s of its CPU while idle; every
    0.05 s: 11.5 jobs/s, p95 0.13 s, 83 ms/s; every 0.025 s: 12.9 jobs/s, p95 0.14 s,
    140 ms/s. A tenth of a second is kept: the autoscaler adds workers when jobs wait, and
    faster polling costs every idle worker, and Postgres, all the time."""
    register_queue(settings, QUOTE_QUEUE, worker_concurrency=1, polling_interval_sec=0.1)


def _items(items: Sequence[Item]) -> list[JsonValue]:
    return [item.model_dump(mode="json") for item in items]


JOB_VIEW = TypeAdapter(QuoteJobView)
ACCEPTANCE = TypeAdapter(AcceptanceResult)


# Kinds of part (process, material, finish) MES said it makes, kept a few seconds: the
# catalog is static data that changes rarely, and customers order the same few kinds. A
# kind the catalog stopped offering meanwhile is still refused, with its reason, by the
# quote. Parts made from an uploaded model are always asked about (the model must exist).
PASSED_KINDS: TTLCache[tuple[str, str, str], bool] = TTLCache(maxsize=4096, ttl=10)


def _kind(item: Item) -> tuple[str, str, str]:
    return (item.process, item.material, item.finish)


class MesClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def check_items(self, items: Sequence[Item]) -> None:
        """Raise a 422 ServiceError naming every item the catalog cannot make."""
        if all(item.model_id is None and _kind(item) in PASSED_KINDS for item in items):
            return
        # A read sent as POST (for its body): safe to retry while an instance restarts.
        body = {"items": _items(items)}
        await call_json(self.http, "POST", "/mes/v1/items/check", json=body, attempts=3)
        for item in items:
            PASSED_KINDS[_kind(item)] = True

    async def request_quote(
        self,
        order_id: UUID | None,
        items: Sequence[Item],
        *,
        job_id: str | None = None,
        from_job: str | None = None,
    ) -> QuoteJobView:
        """Start (or find) the quote job for an order (`order_id`) or, named `job_id`, for
        parts alone; finished when MES priced it at once, or when the order takes a
        finished job's quote (`from_job`)."""
        body = {
            "order_id": str(order_id) if order_id else None,
            "items": _items(items),
            "job_id": job_id,
            "from_job": from_job,
        }
        answer = await call_json(self.http, "POST", "/mes/v1/quote-jobs", json=body)
        return JOB_VIEW.validate_python(answer)

    async def quote_job(self, job_id: str, *, wait_s: float = 0.0) -> QuoteJobView:
        """A quote job's state: queued, running, done (with `quote`), refused or failed;
        with `wait_s`, MES answers as soon as the job ends or after that long."""
        params = {"wait_s": str(wait_s)} if wait_s else None
        answer = await call_json(self.http, "GET", f"/mes/v1/quote-jobs/{job_id}", params=params)
        return JOB_VIEW.validate_python(answer)

    async def catalog(self) -> PublishedCatalog:
        """The current catalog, with its version (a read: retried while MES restarts)."""
        answer = await call_json(self.http, "GET", "/mes/v1/catalog", attempts=3)
        return PublishedCatalog.model_validate(answer)

    async def upload_model(self, data: bytes, *, content_type: str) -> ModelView:
        """Measure and keep an STL model; the same file twice is one model."""
        answer = await call_json(self.http, "POST", "/mes/v1/models", body=Body(data, content_type))
        return ModelView.model_validate(answer)

    async def get_model(self, model_id: UUID) -> ModelView:
        return ModelView.model_validate(
            await call_json(self.http, "GET", f"/mes/v1/models/{model_id}")
        )

    async def release(self, order_id: UUID) -> None:
        await call_json(self.http, "DELETE", f"/mes/v1/reservations/{order_id}")

    async def accept(
        self,
        order_id: UUID,
        accept_by: str | None = None,
        *,
        reserve: bool = False,
        due_date: str | None = None,
    ) -> AcceptanceResult:
        """409 `deadline_exceeded` when first asked after `accept_by`; with `reserve`, the
        order's machine time is held first in the same transaction (422 `no-capacity`)."""
        body = {
            "order_id": str(order_id),
            "accept_by": accept_by,
            "reserve": reserve,
            "due_date": due_date,
        }
        return ACCEPTANCE.validate_python(
            await call_json(self.http, "POST", "/mes/v1/jobs", json=body)
        )


def get_mes(request: Request) -> MesClient:
    return MesClient(request.app.state.http)


MesDep = Annotated[MesClient, Depends(get_mes)]
