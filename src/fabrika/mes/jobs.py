"""Starting quote jobs and reading their state, for the MES API (a DBOS client, no worker).

A client may wait for a job to end (long poll). Waiting clients do not query the system
tables each on their own: one watcher per MES process asks about every job waited for in
one query per tick, so the load of long polls does not grow with the number of waiters.
"""

import asyncio
import uuid
import weakref

import structlog
from dbos import DBOSClient, EnqueueOptions, WorkflowStatus
from prometheus_client import Counter

from fabrika.contracts.quotes import (
    UNFINISHED_JOB,
    PricingResult,
    Progress,
    QuoteError,
    QuoteJobStatus,
    QuoteJobView,
)
from fabrika.core.errors import NotFound
from fabrika.mes.client import QUOTE_QUEUE, QUOTE_WORKFLOW
from fabrika.mes.schemas import QuoteRequest

log = structlog.get_logger()
PROGRESS = "progress"
# DBOS's workflow statuses, as a quote job's.
STATES = {
    "DELAYED": QuoteJobStatus.QUEUED,
    "ENQUEUED": QuoteJobStatus.QUEUED,
    "PENDING": QuoteJobStatus.RUNNING,
    "SUCCESS": QuoteJobStatus.DONE,
    "ERROR": QuoteJobStatus.FAILED,
    "CANCELLED": QuoteJobStatus.CANCELLED,
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": QuoteJobStatus.FAILED,
}
ENDED = [status for status, state in STATES.items() if state not in UNFINISHED_JOB]
# How often the watcher asks whether waited-for jobs ended: at most this much is added to
# a long poll's answer, for one query per tick however many clients wait.
WATCH_INTERVAL_S = 0.05
WATCH_FAILURES = Counter("fabrika_quote_job_watch_failures", "Failed reads of waited-for jobs")


def job_id_for(request: QuoteRequest) -> str:
    """An order has one quote job, so a retried request finds the first one."""
    if request.order_id:
        return f"order-{request.order_id}"
    return request.job_id or str(uuid.uuid4())


def order_of(job_id: str) -> uuid.UUID | None:
    """The order whose quote job this is, if it is an order's."""
    if not job_id.startswith("order-"):
        return None
    try:
        return uuid.UUID(job_id.removeprefix("order-"))
    except ValueError:
        return None


def workflow_id(job_id: str) -> str:
    return f"quote-{job_id}"


def models_to_analyse(request: QuoteRequest) -> list[str]:
    """The distinct uploaded models a quote job analyses, in order. Its progress counts
    them, plus one step for pricing."""
    return list(dict.fromkeys(str(i.model_id) for i in request.items if i.model_id))


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


async def job_view(dbos: DBOSClient, job_id: str, *, wait_s: float = 0.0) -> QuoteJobView:
    """{id, status: queued|running|done|refused|failed, progress, quote | error}; with
    `wait_s`, as soon as the job ends or after that long."""
    status = await _status(dbos, job_id)
    if wait_s > 0 and status.status not in ENDED:
        ended = await _watcher(dbos).wait(status.workflow_id, timeout_s=wait_s)
        status = ended or await _status(dbos, job_id)
    state = STATES.get(status.status, QuoteJobStatus.RUNNING)
    result: PricingResult | None = status.output  # what quote_jobs.quote_job returned
    if state == QuoteJobStatus.DONE and result is not None:
        return finished_view(job_id, result)
    view: QuoteJobView = {"id": job_id, "status": state}
    if state == QuoteJobStatus.RUNNING:
        view["progress"] = await _progress(dbos, status)
    if state == QuoteJobStatus.FAILED:
        view["error"] = {
            "code": "quote_failed",
            "detail": "The price could not be calculated; try again later.",
        }
    return view


def finished_view(job_id: str, result: PricingResult) -> QuoteJobView:
    """A job that ended: done with its quote, or refused with the reason."""
    view: QuoteJobView
    if result["ok"]:
        view = {"id": job_id, "status": QuoteJobStatus.DONE, "quote": result["quote"]}
    else:
        error: QuoteError = {"code": result["code"], "detail": result["detail"]}
        view = {"id": job_id, "status": QuoteJobStatus.REFUSED, "error": error}
    if "progress" in result:
        view["progress"] = result["progress"]
    return view


async def _status(dbos: DBOSClient, job_id: str) -> WorkflowStatus:
    statuses = await dbos.list_workflows_async(workflow_ids=[workflow_id(job_id)])
    if not statuses:
        raise NotFound(f"There is no quote job {job_id}.")
    return statuses[0]


async def _progress(dbos: DBOSClient, status: WorkflowStatus) -> Progress:
    """How far a running job got: only a job with several models to analyse publishes its
    progress as it goes; any other has done nothing yet that a client could see."""
    if not status.input:
        return {"done": 0, "total": 1}
    models = models_to_analyse(QuoteRequest.model_validate(status.input["args"][0]))
    total = len(models) + 1
    if total > 2:
        published: Progress | None = await dbos.get_event_async(
            status.workflow_id, PROGRESS, timeout_seconds=0
        )
        if published:
            return published
    return {"done": 0, "total": total}


class EndWatcher:
    """Waits for jobs to end, with one status query per tick for all the jobs waited for."""

    def __init__(self, dbos: DBOSClient, *, interval_s: float = WATCH_INTERVAL_S) -> None:
        self.dbos = dbos
        self.interval_s = interval_s
        self.waiting: dict[str, set[asyncio.Future[WorkflowStatus]]] = {}
        self.task: asyncio.Task[None] | None = None

    async def wait(self, workflow_id: str, *, timeout_s: float) -> WorkflowStatus | None:
        """The workflow's status once it ended, or None if it has not within `timeout_s`."""
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[WorkflowStatus] = loop.create_future()
        self.waiting.setdefault(workflow_id, set()).add(ended)
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = asyncio.create_task(self._watch())
        try:
            return await asyncio.wait_for(ended, timeout_s)
        except TimeoutError:
            return None
        finally:
            waiters = self.waiting.get(workflow_id, set())
            waiters.discard(ended)
            if not waiters:
                self.waiting.pop(workflow_id, None)

    async def _watch(self) -> None:
        """Runs while anyone waits, then stops: an idle MES does not query at all."""
        while True:
            await asyncio.sleep(self.interval_s)
            if not self.waiting:
                return
            try:
                ended = await self.dbos.list_workflows_async(
                    workflow_ids=list(self.waiting), status=ENDED, load_input=False
                )
            except Exception as exc:  # the waiters time out and read the job themselves
                log.warning("reading waited-for quote jobs failed", error=repr(exc))
                WATCH_FAILURES.inc()
                continue
            for status in ended:
                for future in self.waiting.pop(status.workflow_id, set()):
                    if not future.done():
                        future.set_result(status)


# One watcher per DBOS client (an MES process has one), made on first use.
_watchers: "weakref.WeakKeyDictionary[DBOSClient, EndWatcher]" = weakref.WeakKeyDictionary()


def _watcher(dbos: DBOSClient) -> EndWatcher:
    if dbos not in _watchers:
        _watchers[dbos] = EndWatcher(dbos)
    return _watchers[dbos]
