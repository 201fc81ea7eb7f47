"""The partner API's models and quotes: upload an STL, ask for a price in the background
(202, then follow `Location`), and order with it while it is valid."""

import uuid
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from fabrika.b2b import ownership
from fabrika.b2b.api import json_answer, ledger_call
from fabrika.b2b.auth import Partner, partner
from fabrika.b2b.idempotency import IdempotencyKey, Ledger, name_for, parse_key
from fabrika.b2b.quotas import QUOTA_EXCEEDED
from fabrika.b2b.schemas import PartnerQuote, PartnerQuoteIn
from fabrika.contracts.accounts import PolicyKind, Scope
from fabrika.contracts.quotes import UNFINISHED_JOB, QuoteJobView
from fabrika.core.db import SessionDep
from fabrika.core.errors import Problem
from fabrika.core.http import ServiceError, problem_from
from fabrika.core.uploads import read_limited
from fabrika.mes.client import MesClient, MesDep
from fabrika.mes.schemas import ModelView

router = APIRouter(prefix="/v1")
Uploader = Annotated[Partner, Depends(partner(Scope.QUOTES_WRITE, PolicyKind.WRITES))]
Quoter = Annotated[Partner, Depends(partner(Scope.QUOTES_WRITE, PolicyKind.QUOTES))]
Reader = Annotated[Partner, Depends(partner(Scope.ORDERS_READ, PolicyKind.READS))]
POLL_AFTER_S = "1"


@router.post(
    "/models",
    status_code=status.HTTP_201_CREATED,
    response_model=ModelView,
    tags=["models"],
    summary="Upload a model",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"model/stl": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload_model(request: Request, who: Uploader, mes: MesDep) -> Response:
    """Upload an STL file (binary or ASCII) as the body, `Content-Type: model/stl`: it is
    measured at once. The same file twice is one model."""
    limit = request.app.state.settings.max_model_bytes
    data = await read_limited(request, limit)
    content_type = request.headers.get("content-type", "")
    try:
        model = await mes.upload_model(data, content_type=content_type)
    except ServiceError as exc:
        raise problem_from(exc) from exc
    async with request.app.state.sessions() as session, session.begin():
        await ownership.record_model(session, who, model.id)
    return json_answer(model, 201, Location=f"/v1/models/{model.id}")


@router.get("/models/{model_id}", tags=["models"], summary="Read a model")
async def get_model(model_id: UUID, who: Reader, session: SessionDep, mes: MesDep) -> ModelView:
    """One of your models, as it was measured."""
    await ownership.own_model(session, who, model_id)
    try:
        return await mes.get_model(model_id)
    except ServiceError as exc:
        raise problem_from(exc) from exc


def _view(job: QuoteJobView) -> PartnerQuote:
    return PartnerQuote(
        id=job["id"],
        status=job["status"],
        progress=job.get("progress"),
        quote=job.get("quote"),
        error=job.get("error"),
        status_url=f"/v1/quotes/{job['id']}",
    )


@router.post(
    "/quotes",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PartnerQuote,
    tags=["quotes"],
    summary="Ask for a quote",
)
async def ask_for_quote(
    body: PartnerQuoteIn,
    who: Quoter,
    request: Request,
    mes: MesDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Price parts in the background: 202 with `Location`; poll it (see `Retry-After`)
    for progress, then the quote, its breakdown and until when its price holds."""
    key = parse_key(idempotency_key)
    job_id = str(name_for(who.account.id, key) if key else uuid.uuid4())

    async def ask() -> Response:
        async with request.app.state.sessions() as session, session.begin():
            await ownership.check_models(session, who, body.items)
            await _room_for_a_job(session, who, mes)
            await ownership.record_quote(session, who, job_id, body.items)
        try:
            job = await mes.request_quote(None, body.items, job_id=job_id)
        except ServiceError as exc:
            raise problem_from(exc) from exc
        view = _view(job)
        return json_answer(view, 202, Location=view.status_url, **{"Retry-After": POLL_AFTER_S})

    if key is None:
        return await ask()
    ledger: Ledger = request.app.state.ledger
    call = ledger_call(request, who, key, body.model_dump(mode="json"), job_id)
    return await ledger.run(call, ask, request)


async def _room_for_a_job(session: AsyncSession, who: Partner, mes: MesClient) -> None:
    """At most the plan's number of quote jobs run at once for an account: jobs seen to
    have ended are let go; if none has, the request waits for one (429)."""
    limit = who.account.plan.max_quote_jobs
    running = await ownership.running_quotes(session, who)
    if len(running) < limit:
        return
    for job_id in running:
        if len(running) < limit:
            break
        try:
            job = await mes.quote_job(job_id)
        except ServiceError:
            continue
        if job["status"] not in UNFINISHED_JOB:
            await ownership.finish_quote(session, job_id)
            running.remove(job_id)
    if len(running) >= limit:
        raise Problem(
            f"Your account runs {limit} quote jobs at once already; retry when one is done.",
            status=429,
            type=QUOTA_EXCEEDED,
            title="Quota exceeded",
            headers={"Retry-After": "2"},
            **{"violated-policies": ["quote-jobs"]},
        )


@router.get("/quotes/{job_id}", tags=["quotes"], summary="Read a quote")
async def get_quote(
    job_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,80}$")],
    who: Reader,
    request: Request,
    mes: MesDep,
) -> Response:
    """Your quote: queued or running (poll again after `Retry-After`), done with the quote
    and `valid_until`, or refused with the reason."""
    async with request.app.state.sessions() as session, session.begin():
        await ownership.own_quote(session, who, job_id)
        try:
            job = await mes.quote_job(job_id)
        except ServiceError as exc:
            raise problem_from(exc) from exc
        if job["status"] not in UNFINISHED_JOB:
            await ownership.finish_quote(session, job_id)
    view = _view(job)
    if job["status"] in UNFINISHED_JOB:
        return json_answer(view, 200, **{"Retry-After": POLL_AFTER_S})
    return json_answer(view, 200)
