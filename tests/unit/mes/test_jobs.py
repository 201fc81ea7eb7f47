"""Reading quote jobs, against a stand-in for DBOS's system tables (the process boundary)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from fabrika.core.errors import NotFound
from fabrika.mes.jobs import EndWatcher, finished_view, job_view, models_to_analyse, workflow_id


@dataclass
class Workflow:
    workflow_id: str
    status: str = "ENQUEUED"
    input: dict[str, Any] | None = None
    output: Any = None


@dataclass(eq=False)  # one per test, told apart by identity
class SystemTables:
    """What the MES reads of DBOS: workflows by id and status, and their events."""

    workflows: dict[str, Workflow] = field(default_factory=dict)
    events: dict[tuple[str, str], Any] = field(default_factory=dict)
    reads: int = 0
    failing: bool = False

    def add(self, job_id: str, request: dict[str, Any], status: str = "ENQUEUED") -> Workflow:
        wid = workflow_id(job_id)
        self.workflows[wid] = Workflow(wid, status, {"args": [request], "kwargs": {}})
        return self.workflows[wid]

    async def list_workflows_async(
        self, *, workflow_ids: list[str], status: list[str] | None = None, **_: Any
    ) -> list[Workflow]:
        self.reads += 1
        if self.failing:
            raise ConnectionError("the database went away")
        found = [self.workflows[w] for w in workflow_ids if w in self.workflows]
        return [w for w in found if status is None or w.status in status]

    async def get_event_async(self, wid: str, key: str, timeout_seconds: float = 60) -> Any:
        self.reads += 1
        return self.events.get((wid, key))


def request(*models: str) -> dict[str, Any]:
    items = [{"material": "pla", "model_id": model} for model in models]
    return {"items": [*items, {"material": "pla", "dimensions_mm": [1, 2, 3]}]}


def end(workflow: Workflow, result: dict[str, Any]) -> None:
    workflow.status, workflow.output = "SUCCESS", result


DONE = {"ok": True, "quote": {"total": 12.5}, "progress": {"done": 2, "total": 2}}


def test_a_job_analyses_each_model_once_in_the_order_given() -> None:
    assert models_to_analyse(request("b", "a", "b")) == ["b", "a"]


def test_a_finished_job_carries_the_progress_its_result_reports() -> None:
    view = finished_view("j", DONE)

    assert view == {
        "id": "j",
        "status": "done",
        "quote": {"total": 12.5},
        "progress": {"done": 2, "total": 2},
    }


def test_a_refusal_is_readable() -> None:
    view = finished_view("j", {"ok": False, "code": "no_machine_fits", "detail": "Too big."})

    assert view["status"] == "refused"
    assert view["error"] == {"code": "no_machine_fits", "detail": "Too big."}


async def test_an_unknown_job_is_not_found() -> None:
    with pytest.raises(NotFound):
        await job_view(SystemTables(), "nothing", wait_s=1)


async def test_a_running_job_with_one_model_reports_nothing_done_of_two_steps() -> None:
    tables = SystemTables()
    tables.add("j", request("m1"), status="PENDING")

    view = await job_view(tables, "j")

    assert view == {"id": "j", "status": "running", "progress": {"done": 0, "total": 2}}


async def test_a_running_job_with_several_models_reports_the_progress_it_published() -> None:
    tables = SystemTables()
    tables.add("j", request("m1", "m2"), status="PENDING")
    tables.events[(workflow_id("j"), "progress")] = {"done": 1, "total": 3}

    view = await job_view(tables, "j")

    assert view["progress"] == {"done": 1, "total": 3}


async def test_a_long_poll_answers_with_the_job_once_it_ends() -> None:
    tables = SystemTables()
    job = tables.add("j", request("m1"))

    waiting = asyncio.create_task(job_view(tables, "j", wait_s=5))
    await asyncio.sleep(0.12)
    assert not waiting.done()
    end(job, DONE)

    assert (await asyncio.wait_for(waiting, 1))["status"] == "done"


async def test_a_long_poll_on_a_job_that_does_not_end_answers_its_state_in_time() -> None:
    tables = SystemTables()
    tables.add("j", request("m1"))

    view = await asyncio.wait_for(job_view(tables, "j", wait_s=0.2), 1)

    assert view == {"id": "j", "status": "queued"}


async def test_a_failed_job_says_so() -> None:
    tables = SystemTables()
    tables.add("j", request("m1"), status="ERROR")

    view = await job_view(tables, "j", wait_s=5)

    assert view["status"] == "failed" and view["error"]["code"] == "quote_failed"


async def test_the_watcher_reads_once_a_tick_however_many_wait() -> None:
    tables = SystemTables()
    jobs = [tables.add(f"j{i}", request("m1")) for i in range(20)]
    watcher = EndWatcher(tables, interval_s=0.05)

    waiting = [asyncio.create_task(watcher.wait(job.workflow_id, timeout_s=5)) for job in jobs]
    await asyncio.sleep(0.27)
    for job in jobs:
        end(job, DONE)
    ended = await asyncio.wait_for(asyncio.gather(*waiting), 1)

    assert all(status.status == "SUCCESS" for status in ended)
    assert tables.reads <= 8  # one a tick, for twenty waiters


async def test_the_watcher_stops_reading_when_nobody_waits() -> None:
    tables = SystemTables()
    job = tables.add("j", request("m1"))
    watcher = EndWatcher(tables, interval_s=0.02)

    assert await watcher.wait(job.workflow_id, timeout_s=0.1) is None
    await asyncio.sleep(0.05)
    reads = tables.reads
    await asyncio.sleep(0.1)

    assert tables.reads == reads
    assert watcher.waiting == {}


async def test_the_watcher_keeps_watching_after_a_failed_read() -> None:
    tables = SystemTables(failing=True)
    job = tables.add("j", request("m1"))
    watcher = EndWatcher(tables, interval_s=0.02)

    waiting = asyncio.create_task(watcher.wait(job.workflow_id, timeout_s=5))
    await asyncio.sleep(0.1)
    tables.failing = False
    end(job, DONE)

    assert (await asyncio.wait_for(waiting, 1)).status == "SUCCESS"
