"""The MES API: public catalog and model upload (shop entry), internal planning (/mes/)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response, status

from fabrika.contracts.production import AcceptanceResult, ReleaseResult, ReservationResult
from fabrika.contracts.quotes import QuoteJobStatus, QuoteJobView
from fabrika.core.db import SessionDep
from fabrika.core.errors import NotFound, Problem
from fabrika.core.uploads import read_limited
from fabrika.mes import jobs, production, quoting, service
from fabrika.mes.catalog_store import StoreDep
from fabrika.mes.models import Model
from fabrika.mes.schemas import ItemsIn, JobRequest, ModelView, QuoteRequest, ReservationRequest

public = APIRouter(prefix="/api/v1", tags=["catalog"])
internal = APIRouter(prefix="/mes/v1", include_in_schema=False)
STL_TYPES = {
    "model/stl",
    "application/sla",
    "application/vnd.ms-pki.stl",
    "application/octet-stream",
}
# Triangles in a binary STL of `max_model_bytes`: 84-byte header, 50 bytes a triangle.
BYTES_PER_TRIANGLE = 50


@public.get("/catalog")
@internal.get("/catalog")
async def get_catalog(request: Request, store: StoreDep) -> Response:
    """Materials, processes with their machines and materials, finishes, quantity breaks.

    Revalidate with `If-None-Match`: an unchanged catalog answers 304 without a body.
    """
    version = await store.current_version()
    etag = f'"catalog-{version}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    body = await store.document_json(version)
    return Response(body, media_type="application/json", headers=headers)


def _etags(header: str) -> set[str]:
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return tags | ({f'"{t}"' for t in tags} if "*" in tags else set())


def _model_view(model: Model) -> ModelView:
    return ModelView(
        id=model.id,
        sha256=model.sha256,
        size_bytes=model.size_bytes,
        triangles=model.triangles,
        volume_mm3=model.volume_mm3,
        area_mm2=model.area_mm2,
        bbox_mm=(model.bbox_mm[0], model.bbox_mm[1], model.bbox_mm[2]),
    )


@public.post("/models", status_code=status.HTTP_201_CREATED)
@internal.post("/models", status_code=status.HTTP_201_CREATED)
async def upload_model(request: Request, response: Response, session: SessionDep) -> ModelView:
    """Upload an STL model (binary or ASCII) as the request body; it is measured at once."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in STL_TYPES:
        raise Problem(
            "Send the STL file as the request body with `Content-Type: model/stl`.",
            status=415,
            type="unsupported-media-type",
            title="Unsupported Media Type",
        )
    limit = request.app.state.settings.max_model_bytes
    data = await read_limited(request, limit)
    model = await service.store_model(
        session, data, max_triangles=(limit - 84) // BYTES_PER_TRIANGLE
    )
    response.headers["Location"] = f"/api/v1/models/{model.id}"
    return _model_view(model)


@public.get("/models/{model_id}")
@internal.get("/models/{model_id}")
async def get_model(model_id: UUID, session: SessionDep) -> ModelView:
    return _model_view(await service.get_model(session, model_id))


@internal.post("/items/check", status_code=status.HTTP_204_NO_CONTENT)
async def check_items(body: ItemsIn, session: SessionDep, store: StoreDep) -> None:
    _, catalog = await store.current()
    await service.check_items(session, catalog, body.items)


JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,80}$")]


@public.post("/quotes", status_code=status.HTTP_202_ACCEPTED)
async def ask_for_quote(
    body: ItemsIn, request: Request, response: Response, session: SessionDep, store: StoreDep
) -> QuoteJobView:
    """Start pricing parts; follow `status_url` for progress and then the quote."""
    asked = QuoteRequest(items=body.items)
    return await request_quote(asked, request, response, session, store)


@internal.post("/quote-jobs", status_code=status.HTTP_202_ACCEPTED)
async def request_quote(
    body: QuoteRequest, request: Request, response: Response, session: SessionDep, store: StoreDep
) -> QuoteJobView:
    """Start pricing; follow `status_url` for progress and then the quote.

    An order's quote that needs no model analysis (items given by their dimensions, or
    models analysed before) is priced at once: 200 with the finished job; so is an order
    that takes a finished job's quote (`from_job`)."""
    version, catalog = await store.current()
    await service.check_items(session, catalog, body.items)
    job_id = jobs.job_id_for(body)
    prefix = "/mes/v1/quote-jobs" if request.url.path.startswith("/mes/") else "/api/v1/quotes"
    state = request.app.state
    if body.order_id is not None and body.from_job is not None:
        response.status_code = status.HTTP_200_OK
        taken = await quoting.take_quote(
            session, state.dbos, order_id=body.order_id, job_id=body.from_job
        )
        return jobs.finished_view(job_id, taken)
    if body.order_id is not None:
        supports = await quoting.known_supports(session, state.analyses, body.items)
        if supports is not None:
            response.status_code = status.HTTP_200_OK
            result = await quoting.price_request(
                session, body, catalog=(version, catalog), quotes=state.quotes, supports=supports
            )
            if not result["ok"]:  # a refusal is not kept: there is nothing to follow
                return jobs.finished_view(job_id, result)
            response.headers["Location"] = f"{prefix}/{job_id}"
            return {**jobs.finished_view(job_id, result), "status_url": f"{prefix}/{job_id}"}
    version = state.settings.application_version
    await jobs.start_job(state.dbos, job_id, body, application_version=version)
    response.headers["Location"] = f"{prefix}/{job_id}"
    return {"id": job_id, "status": QuoteJobStatus.QUEUED, "status_url": f"{prefix}/{job_id}"}


@public.get("/quotes/{job_id}")
@internal.get("/quote-jobs/{job_id}")
async def quote_job(
    job_id: JobId,
    request: Request,
    session: SessionDep,
    wait_s: Annotated[float, Query(ge=0, le=10)] = 0,
) -> QuoteJobView:
    """A quote job: queued, running (with progress), done (with the quote) or refused.

    `wait_s` holds the answer until the job ends or that many seconds pass (long poll)."""
    try:
        return await jobs.job_view(request.app.state.dbos, job_id, wait_s=wait_s)
    except NotFound:
        # An order's quote priced at once has no job, only the quote kept for the order.
        order_id = jobs.order_of(job_id)
        kept = await production.stored_quote(session, order_id) if order_id else None
        if kept is None:
            raise
        return jobs.finished_view(job_id, {"ok": True, "quote": kept})


@internal.post("/reservations")
async def reserve(body: ReservationRequest, session: SessionDep) -> ReservationResult:
    return await production.reserve(session, order_id=body.order_id, due_date=body.due_date)


@internal.delete("/reservations/{order_id}")
async def release(order_id: UUID, session: SessionDep) -> ReleaseResult:
    released = await production.release(session, order_id=order_id)
    return {"order_id": str(order_id), "released": released}


@internal.post("/jobs")
async def accept(body: JobRequest, session: SessionDep) -> AcceptanceResult:
    return await production.accept(
        session,
        order_id=body.order_id,
        accept_by=body.accept_by,
        reserving=body.reserve,
        due_date=body.due_date,
    )
