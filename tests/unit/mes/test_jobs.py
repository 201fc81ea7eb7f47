"""Reading quote jobs, against a stand-in for DBOS's system tables (the process boundary).

The tests wait for what the watcher does (its reads), never for a length of time: every
wait is on a condition, bounded by a timeout only so that a broken watcher fails the test
instead of hanging it."""

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from fabrika.contracts import JsonObject
from fabrika.core.errors import NotFound
from fabrika.mes.jobs import EndWatcher, finished_view, job_view, models_to_analyse, workflow_id
from fabrika.mes.schemas import QuoteRequest

BOUND_S = 5  # how long a wait may take before the test fails, never a measured time


@dataclass
class Workflow:
    workflow_id: str
    status: str = "ENQUEUED"
    input: dict[str, Any] | None = None
    output: Any = None


@dataclass(eq=False)  # one per test, told apart by identity
class SystemTables:
    """What the MES reads of DBOS: workflows by id and status, and their events. Every
    read is recorded with the workflow ids it asked about."""

    workflows: dict[str, Workflow] = field(default_factory=dict)
    events: dict[tuple[str, str], Any] = field(default_factory=dict)
    reads: list[list[str]] = field(default_factory=list)
    failing: bool = False
    read_happened: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, job_id: str, request: JsonObject, status: str = "ENQUEUED") -> Workflow:
        wid = workflow_id(job_id)
        self.workflows[wid] = Workflow(wid, status, {"args": [request], "kwargs": {}})
        return self.workflows[wid]

    async def list_workflows_async(
        self, *, workflow_ids: list[str], status: list[str] | None = None, **_: Any
    ) -> list[Workflow]:
        self.reads.append(list(workflow_ids))
        self.read_happened.set()
        if self.failing:
            raise ConnectionError("the database went away")
        found = [self.workflows[w] for w in workflow_ids if w in self.workflows]
        return [w for w in found if status is None or w.status in status]

    async def get_event_async(self, wid: str, key: str, timeout_seconds: float = 60) -> Any:
        return self.events.get((wid, key))

    async def next_read(self) -> list[str]:
        """The workflow ids of the next read made from now on."""
        self.read_happened.clear()
        await asyncio.wait_for(self.read_happened.wait(), BOUND_S)
        return self.reads[-1]


MODEL_A, MODEL_B = uuid.uuid4(), uuid.uuid4()


def request(*models: uuid.UUID) -> JsonObject:
    items = [
        {"material": "pla", "process": "fdm", "quantity": 1, "model_id": str(m)} for m in models
    ]
    box = {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [1, 2, 3]}
    return {"items": [*items, box]}


def end(workflow: Workflow, result: dict[str, Any]) -> None:
    workflow.status, workflow.output = "SUCCESS", result


DONE = {"ok": True, "quote": {"total": 12.5}, "progress": {"done": 2, "total": 2}}


def test_a_job_analyses_each_model_once_in_the_order_given() -> None:
    job = QuoteRequest.model_validate(request(MODEL_B, MODEL_A, MODEL_B))

    assert models_to_analyse(job) == [str(MODEL_B), str(MODEL_A)]


def test_a_finished_job_carries_the_progress_its_result_reports() -> None:
    view = finished_view("j", DONE)  # a partial quote will do

    assert view == {
        "id": "j",
        "status": "done",
        "quote": {"total": 12.5},
        "progress": {"done": 2, "total": 2},
    }


def test_a_refusal_is_readable() -> None:
    view = finished_view("j", {"ok": False, "code": "no_machine_fits", "detail": "Too big."})

    assert view["status"] == "refused"
    assert view.get("error") == {"code": "no_machine_fits", "detail": "Too big."}


async def test_an_unknown_job_is_not_found() -> None:
    with pytest.raises(NotFound):
        await job_view(SystemTables(), "nothing", wait_s=1)


async def test_a_running_job_with_one_model_reports_nothing_done_of_two_steps() -> None:
    tables = SystemTables()
    tables.add("j", request(MODEL_A), status="PENDING")

    view = await job_view(tables, "j")

    assert view == {"id": "j", "status": "running", "progress": {"done": 0, "total": 2}}


async def test_a_running_job_with_several_models_reports_the_progress_it_published() -> None:
    tables = SystemTables()
    tables.add("j", request(MODEL_A, MODEL_B), status="PENDING")
    tables.events[(workflow_id("j"), "progress")] = {"done": 1, "total": 3}

    view = await job_view(tables, "j")

    assert view.get("progress") == {"done": 1, "total": 3}


async def test_a_long_poll_answers_with_the_job_once_it_ends() -> None:
    tables = SystemTables()
    job = tables.add("j", request(MODEL_A))
    waiting = asyncio.create_task(job_view(tables, "j", wait_s=BOUND_S))

    await tables.next_read()  # the watcher looked, and the job had not ended
    await tables.next_read()
    assert not waiting.done()
    end(job, DONE)

    assert (await asyncio.wait_for(waiting, BOUND_S))["status"] == "done"


async def test_a_long_poll_on_a_job_that_does_not_end_answers_its_state() -> None:
    tables = SystemTables()
    tables.add("j", request(MODEL_A))

    view = await asyncio.wait_for(job_view(tables, "j", wait_s=0.2), BOUND_S)

    assert view == {"id": "j", "status": "queued"}


async def test_a_failed_job_says_so() -> None:
    tables = SystemTables()
    tables.add("j", request(MODEL_A), status="ERROR")

    view = await job_view(tables, "j", wait_s=BOUND_S)

    assert view["status"] == "failed" and view.get("error", {}).get("code") == "quote_failed"


async def test_the_watcher_asks_about_every_waited_job_in_one_read() -> None:
    tables = SystemTables()
    jobs = [tables.add(f"j{i}", request(MODEL_A)) for i in range(20)]
    watcher = EndWatcher(tables, interval_s=0.01)

    waiting = [
        asyncio.create_task(watcher.wait(job.workflow_id, timeout_s=BOUND_S)) for job in jobs
    ]
    while len(watcher.waiting) < len(jobs):
        await asyncio.sleep(0)  # let every waiter register
    asked = await tables.next_read()
    for job in jobs:
        end(job, DONE)
    ended = await asyncio.wait_for(asyncio.gather(*waiting), BOUND_S)

    assert sorted(asked) == sorted(job.workflow_id for job in jobs)
    assert all(status is not None and status.status == "SUCCESS" for status in ended)


async def test_the_watcher_stops_reading_when_nobody_waits() -> None:
    tables = SystemTables()
    job = tables.add("j", request(MODEL_A))
    watcher = EndWatcher(tables, interval_s=0.01)

    assert await watcher.wait(job.workflow_id, timeout_s=0.05) is None
    assert watcher.task is not None
    await asyncio.wait_for(watcher.task, BOUND_S)  # the watcher ends by itself
    reads = len(tables.reads)
    await asyncio.sleep(0)

    assert watcher.waiting == {}
    assert len(tables.reads) == reads


async def test_the_watcher_keeps_watching_after_a_failed_read() -> None:
    tables = SystemTables(failing=True)
    job = tables.add("j", request(MODEL_A))
    watcher = EndWatcher(tables, interval_s=0.01)

    waiting = asyncio.create_task(watcher.wait(job.workflow_id, timeout_s=BOUND_S))
    await tables.next_read()  # this one failed
    tables.failing = False
    end(job, DONE)

    ended = await asyncio.wait_for(waiting, BOUND_S)
    assert ended is not None and ended.status == "SUCCESS"
