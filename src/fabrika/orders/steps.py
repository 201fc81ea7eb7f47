"""The saga's steps: each one call to another service, retried on transient failure.

A business refusal (a 4xx answer) is returned as an Outcome, not raised, so DBOS
records it once and the workflow compensates instead of retrying.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import structlog
from dbos import DBOS

from fabrika.core.http import ServiceError
from fabrika.crm.client import CrmClient
from fabrika.crm.schemas import RegisterOrder, Transition
from fabrika.mes.client import MesClient
from fabrika.notify.client import NotifyClient
from fabrika.notify.schemas import EmailRequest
from fabrika.orders.schemas import Submission

log = structlog.get_logger()


@dataclass
class Services:
    crm: CrmClient
    mes: MesClient
    notify: NotifyClient


_services: Services | None = None


def configure(http: httpx.AsyncClient) -> None:
    """Called once by the saga worker at start-up, before DBOS launches."""
    global _services
    _services = Services(crm=CrmClient(http), mes=MesClient(http), notify=NotifyClient(http))


def services() -> Services:
    if _services is None:
        raise RuntimeError("saga steps used before fabrika.orders.steps.configure()")
    return _services


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, ServiceError) and exc.transient


RETRIED = {
    "retries_allowed": True,
    "max_attempts": 8,
    "interval_seconds": 0.5,
    "backoff_rate": 2.0,
    "should_retry": _is_transient,
}


def refused(error: ServiceError) -> dict[str, Any]:
    return {"ok": False, "code": error.code or "refused", "detail": error.detail}


@DBOS.step(**RETRIED)
async def register_in_crm(submission: dict) -> dict[str, Any]:
    order = Submission.model_validate(submission)
    registration = RegisterOrder(
        channel=order.channel,
        customer=order.customer,
        items=order.items,
        due_date=order.due_date,
        submitted_at=order.submitted_at,
        account_id=order.account_id,
    )
    view = await services().crm.register_order(order.order_id, registration)
    return {"ok": True, "status": view.status}


@DBOS.step(**RETRIED)
async def record_status(order_id: str, transition: dict) -> dict[str, Any]:
    try:
        view = await services().crm.record_transition(
            UUID(order_id), Transition.model_validate(transition)
        )
    except ServiceError as exc:
        if exc.transient:
            raise
        return refused(exc)
    return {"ok": True, "status": view.status}


@DBOS.step(**RETRIED)
async def request_quote(submission: dict) -> dict[str, Any]:
    """Start the order's quote job in MES (starting it again finds the same job)."""
    order = Submission.model_validate(submission)
    try:
        job = await services().mes.request_quote(order.order_id, order.items)
    except ServiceError as exc:
        if exc.transient:
            raise
        return refused(exc)
    return {"ok": True, "job_id": job["id"]}


@DBOS.step(**RETRIED)
async def quote_job_state(job_id: str) -> dict[str, Any]:
    return await services().mes.quote_job(job_id)


@DBOS.step(**RETRIED)
async def reserve_capacity(order_id: str, due_date: str | None) -> dict[str, Any]:
    try:
        reservation = await services().mes.reserve(UUID(order_id), due_date)
    except ServiceError as exc:
        if exc.transient:
            raise
        return refused(exc)
    return {"ok": True, "reservation": reservation}


@DBOS.step(**RETRIED)
async def release_capacity(order_id: str) -> None:
    await services().mes.release(UUID(order_id))


@DBOS.step(**RETRIED)
async def accept_into_production(order_id: str) -> dict[str, Any]:
    try:
        job = await services().mes.accept(UUID(order_id))
    except ServiceError as exc:
        if exc.transient:
            raise
        return refused(exc)
    return {"ok": True, "job": job}


@DBOS.step(**RETRIED)
async def email_customer(order_id: str, status: str, email: dict) -> None:
    """One email per order and status; the key makes a retried step send nothing twice."""
    request = EmailRequest(key=f"order:{order_id}:{status}", **email)
    await services().notify.send_email(request)


@DBOS.step()
async def clock_after(seconds: float) -> str:
    """A deadline fixed once: recorded by DBOS, so recovery sees the same value."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()
