"""Starting quote jobs and reading their state, for the MES API (a DBOS client, no worker)."""

import asyncio
import uuid
from typing import Any

from dbos import DBOSClient, EnqueueOptions, WorkflowStatus

from fabrika.core.errors import NotFound
from fabrika.mes.client import QUOTE_QUEUE, QUOTE_WORKFLOW
from fabrika.mes.schemas import QuoteRequest

PROGRESS = "progress"
STATES = {
    "DELAYED": "queued",
    "ENQUEUED": "queued",
    "PENDING": "running",
    "SUCCESS": "done",
    "ERROR": "failed",
    "CANCELLED": "cancelled",
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": "failed",
}


async def _status(dbos: DBOSClient, job_id: str) -> WorkflowStatus:
    statuses = await dbos.list_workflows_async(workflow_ids=[workflow_id(job_id)], load_input=False)
    if not statuses:
        raise NotFound(f"There is no quote job {job_id}.")
    return statuses[0]


def job_id_for(request: QuoteRequest) -> str:
    """An order has one quote job, so a retried request finds the first one."""
    return f"order-{request.order_id}" if request.order_id else str(uuid.uuid4())


def workflow_id(job_id: str) -> str:
    return f"quote-{job_id}"


async def start_job(
    dbos: DBOSClient, job_id: str, request: QuoteRequest, *, application_version: str
) -> None:
    options: EnqueueOptions = {
        "queue_name": QUOTE_QUEUE,
        "workflow_name": QUOTE_WORKFLOW,
        "workflow_id": workflow_id(job_id),
        "app_version": application_version,
    }
    await dbos.enqueue_async(options, request.model_dump(mode="json"))


async def job_view(dbos: DBOSClient, job_id: str, *, wait_s: float = 0.0) -> dict[str, Any]:
    """{id, status: queued|running|done|refused|failed, progress, quote | error}."""
    status = await _status(dbos, job_id)
    waited, pause = 0.0, 0.01
    while STATES.get(status.status) in ("queued", "running") and waited < wait_s:
        await asyncio.sleep(pause)
        waited += pause
        pause = min(pause * 1.5, 0.1)
        status = await _status(dbos, job_id)
    state = STATES.get(status.status, "running")
    view = finished_view(job_id, status.output or {}) if state == "done" else {}
    view = view or {"id": job_id, "status": state}
    progress = await dbos.get_event_async(workflow_id(job_id), PROGRESS, timeout_seconds=0)
    if progress:
        view["progress"] = progress
    if state == "failed":
        view["error"] = {
            "code": "quote_failed",
            "detail": "The price could not be calculated; try again later.",
        }
    return view


def finished_view(job_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """A job that ended: done with its quote, or refused with the reason."""
    if result.get("ok"):
        return {"id": job_id, "status": "done", "quote": result["quote"]}
    error = {"code": result.get("code"), "detail": result.get("detail")}
    return {"id": job_id, "status": "refused", "error": error}
