"""The ledger of keyed partner calls against the real Postgres: replays, reuse, calls
still running, and a call whose process died."""

import asyncio
import datetime as dt
import json
import uuid

import pytest
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from fabrika.b2b.idempotency import Call, Ledger
from fabrika.core.db import create_engine, create_sessions
from fabrika.core.errors import Conflict, Problem

pytestmark = pytest.mark.usefixtures("database")


@pytest.fixture
async def ledger(settings):
    engine = create_engine(settings.sqlalchemy_url, pool_size=4)
    yield Ledger(create_sessions(engine))
    await engine.dispose()


def a_call(body: object = None, key: str | None = None, account: uuid.UUID | None = None) -> Call:
    return Call(
        account_id=account or uuid.uuid4(),
        key_id=uuid.uuid4(),
        idempotency_key=key or str(uuid.uuid4()),
        method="POST",
        path="/v1/orders",
        fingerprint=json.dumps(body),
        policy="writes",
        trace_id=None,
        resource_id="order-1",
    )


REQUEST = Request({"type": "http", "method": "POST", "path": "/v1/orders", "headers": []})


class Work:
    """Counts its runs; answers `status` with a body naming the run."""

    def __init__(self, status: int = 202) -> None:
        self.runs = 0
        self.status = status

    async def __call__(self) -> JSONResponse:
        self.runs += 1
        return JSONResponse({"run": self.runs}, status_code=self.status, headers={"Location": "/x"})


async def test_a_retry_gets_the_first_answer_byte_for_byte_and_nothing_runs_again(ledger):
    call, work = a_call({"a": 1}), Work()

    first = await ledger.run(call, work, REQUEST)
    again = await ledger.run(call, work, REQUEST)

    assert work.runs == 1
    assert (again.status_code, again.body) == (first.status_code, first.body)
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["location"] == "/x"
    assert again.headers["content-type"] == "application/json"
    assert "idempotent-replayed" not in first.headers


async def test_the_same_key_with_another_request_is_refused(ledger):
    call = a_call({"a": 1})
    await ledger.run(call, Work(), REQUEST)

    with pytest.raises(Problem) as refused:
        await ledger.run(a_call({"a": 2}, call.idempotency_key, call.account_id), Work(), REQUEST)

    assert refused.value.status == 422 and "different request" in refused.value.detail


async def test_another_account_may_use_the_same_key(ledger):
    call, work = a_call({"a": 1}), Work()
    await ledger.run(call, work, REQUEST)

    await ledger.run(a_call({"a": 1}, call.idempotency_key), work, REQUEST)

    assert work.runs == 2


async def test_a_retry_while_the_first_call_runs_is_told_to_wait(ledger):
    call, release = a_call({"a": 1}), asyncio.Event()

    async def slow() -> JSONResponse:
        await release.wait()
        return JSONResponse({"done": True})

    first = asyncio.create_task(ledger.run(call, slow, REQUEST))
    await _until_running(ledger, call)
    with pytest.raises(Conflict) as busy:
        await ledger.run(call, Work(), REQUEST)
    release.set()
    await asyncio.wait_for(first, 10)

    assert busy.value.headers == {"Retry-After": "1"}


async def test_a_call_whose_process_died_is_run_again_by_a_retry_once_its_lock_passed(ledger):
    call, work = a_call({"a": 1}), Work()
    await _left_running_by_a_dead_process(ledger, call)

    answer = await ledger.run(call, work, REQUEST)

    assert work.runs == 1 and answer.status_code == 202
    replay = await ledger.run(call, work, REQUEST)
    assert replay.headers["Idempotent-Replayed"] == "true" and work.runs == 1


async def test_a_refusal_is_kept_and_replayed_too(ledger):
    call, runs = a_call({"a": 1}), []

    async def refuse() -> JSONResponse:
        runs.append(1)
        raise Conflict("Your order 1 already has the reference 'PO-1'.")

    first = await ledger.run(call, refuse, REQUEST)
    again = await ledger.run(call, refuse, REQUEST)

    assert first.status_code == again.status_code == 409 and len(runs) == 1
    assert again.body == first.body and again.headers["content-type"] == "application/problem+json"


async def test_a_server_error_is_not_kept_so_a_retry_can_succeed(ledger):
    call, failing, working = a_call({"a": 1}), Work(status=503), Work()

    assert (await ledger.run(call, failing, REQUEST)).status_code == 503
    assert (await ledger.run(call, working, REQUEST)).status_code == 202

    assert working.runs == 1


async def test_a_key_older_than_a_day_is_a_new_request(ledger):
    call, work = a_call({"a": 1}), Work()
    await ledger.run(call, work, REQUEST)
    await _age(ledger, call, dt.timedelta(hours=25))

    await ledger.run(a_call({"b": 2}, call.idempotency_key, call.account_id), work, REQUEST)

    assert work.runs == 2


async def test_purging_drops_what_is_older_than_a_day_and_keeps_the_rest(ledger):
    old, fresh = a_call({"a": 1}), a_call({"a": 2})
    await ledger.run(old, Work(), REQUEST)
    await ledger.run(fresh, Work(), REQUEST)
    await _age(ledger, old, dt.timedelta(hours=25))

    assert await ledger.purge_expired() >= 1

    work = Work()
    await ledger.run(old, work, REQUEST)  # gone: runs again
    await ledger.run(fresh, work, REQUEST)  # kept: replayed
    assert work.runs == 1


async def _until_running(ledger: Ledger, call: Call) -> None:
    query = text("SELECT state FROM b2b.requests WHERE account_id = :a AND idempotency_key = :k")
    async with asyncio.timeout(10):
        while True:
            async with ledger.sessions() as session:
                state = await session.scalar(
                    query, {"a": call.account_id, "k": call.idempotency_key}
                )
            if state == "running":
                return
            await asyncio.sleep(0.01)


async def _left_running_by_a_dead_process(ledger: Ledger, call: Call) -> None:
    """What a process killed between starting the work and keeping its answer leaves."""
    async with ledger.sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO b2b.requests (account_id, idempotency_key, key_id, method, path, "
                "fingerprint, state, locked_until, created_at, expires_at) VALUES (:a, :k, :key, "
                "'POST', '/v1/orders', :f, 'running', now() - interval '1 second', now(), "
                "now() + interval '1 day')"
            ),
            {
                "a": call.account_id,
                "k": call.idempotency_key,
                "key": call.key_id,
                "f": call.fingerprint,
            },
        )


async def _age(ledger: Ledger, call: Call, age: dt.timedelta) -> None:
    async with ledger.sessions() as session, session.begin():
        await session.execute(
            text(
                "UPDATE b2b.requests SET created_at = created_at - make_interval(secs => :age), "
                "expires_at = expires_at - make_interval(secs => :age) "
                "WHERE account_id = :a AND idempotency_key = :k"
            ),
            {"age": age.total_seconds(), "a": call.account_id, "k": call.idempotency_key},
        )
