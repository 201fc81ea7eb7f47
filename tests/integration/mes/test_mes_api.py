"""The MES against the real Postgres: models, catalog, quotes, capacity and jobs."""

import asyncio
import datetime as dt
import itertools
import os
import struct
import subprocess
import sys
import time
import uuid

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from fabrika.core.db import create_engine
from fabrika.mes.app import build
from fabrika.mes.geometry import Mesh, box_mesh, to_ascii_stl, to_binary_stl
from fabrika.mes.production import booked_until_statement
from tests.ports import free_port

pytestmark = pytest.mark.usefixtures("database")
STL = {"Content-Type": "model/stl"}


@pytest.fixture(scope="module")
def quote_worker(database):
    """A quote worker process (a DBOS executor), as `fabrika up` runs it, for the module's
    quote jobs. In this process, DBOS would run jobs on a loop of its own whenever the
    tests' loop is idle, next to connections opened on the tests' loop."""
    port = free_port()
    command = [sys.executable, "-m", "fabrika.cli", "serve", "quote", "--port", str(port)]
    worker = subprocess.Popen(command, env={**os.environ, "FABRIKA_EXECUTOR_ID": "quote-test"})
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/readyz", worker, timeout_s=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def wait_until_ready(url: str, process: subprocess.Popen, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the quote worker exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the quote worker was not ready within {timeout_s} s")


@pytest.fixture
async def mes(serve, quote_worker):
    async with serve(build()) as client:
        yield client


async def quoted(mes, body: dict, timeout_s: float = 30) -> dict:
    """Start a quote job and wait for it to finish (an order's quote may finish at once)."""
    started = await mes.post("/mes/v1/quote-jobs", json=body)
    assert started.status_code in (200, 202), started.text
    if started.status_code == 200:
        return started.json()
    async with asyncio.timeout(timeout_s):
        while True:
            job = (await mes.get(started.json()["status_url"])).json()
            if job["status"] not in ("queued", "running"):
                return job
            await asyncio.sleep(0.05)


def item(**overrides) -> dict:
    return {
        "material": "pla",
        "process": "fdm",
        "quantity": 2,
        "dimensions_mm": [20, 20, 20],
        **overrides,
    }


async def test_an_uploaded_model_is_measured(mes) -> None:
    response = await mes.post(
        "/api/v1/models", content=to_binary_stl(box_mesh(10, 20, 30)), headers=STL
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["triangles"] == 12
    assert body["volume_mm3"] == pytest.approx(6000)
    assert body["area_mm2"] == pytest.approx(2 * (200 + 600 + 300))
    assert sorted(body["bbox_mm"]) == pytest.approx([10, 20, 30])


async def test_the_same_file_uploaded_twice_is_one_model(mes) -> None:
    data = to_ascii_stl(box_mesh(11, 12, 13))
    first = (await mes.post("/api/v1/models", content=data, headers=STL)).json()
    second = (await mes.post("/api/v1/models", content=data, headers=STL)).json()
    assert first["id"] == second["id"]


def with_nan() -> bytes:
    triangles = box_mesh(10, 10, 10).triangles.copy()
    triangles[3, 1, 2] = np.nan
    return to_binary_stl(Mesh(triangles))


def flat() -> bytes:
    square = np.array([[[0, 0, 0], [10, 0, 0], [10, 10, 0]], [[0, 0, 0], [10, 10, 0], [0, 10, 0]]])
    return to_binary_stl(Mesh(square.astype(float)))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (with_nan(), "non_finite"),
        (flat(), "zero_volume"),
        (b"", "empty"),
        (b"this is not a model at all, just text " * 10, "not_stl"),
        (b"\0" * 80 + struct.pack("<I", 1000) + b"\0" * 100, "truncated"),
        (b"\0" * 80 + struct.pack("<I", 1) + b"\0" * 500, "triangle_count_mismatch"),
    ],
)
async def test_a_bad_model_is_a_problem_naming_what_is_wrong(mes, data: bytes, code: str) -> None:
    response = await mes.post("/api/v1/models", content=data, headers=STL)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_a_model_over_the_size_limit_is_refused_with_413(mes, settings) -> None:
    oversized = b"\0" * (settings.max_model_bytes + 1)
    response = await mes.post("/api/v1/models", content=oversized, headers=STL)
    assert response.status_code == 413


async def test_a_model_sent_as_json_is_refused_with_415(mes) -> None:
    response = await mes.post("/api/v1/models", json={"model": "cube"})
    assert response.status_code == 415


async def test_a_quote_prices_every_line_and_is_stable_per_order(mes) -> None:
    order_id = str(uuid.uuid4())
    body = {"order_id": order_id, "items": [item(), item(material="petg", quantity=20)]}
    first = await quoted(mes, body)
    assert first["status"] == "done", first
    quote = first["quote"]
    assert len(quote["lines"]) == 2 and quote["total"] > 0
    assert quote["total"] == pytest.approx(sum(line["line_total"] for line in quote["lines"]))
    again = await quoted(mes, body)
    assert again["quote"] == quote


async def test_an_orders_quote_needing_no_analysis_is_priced_at_once(mes) -> None:
    body = {"order_id": str(uuid.uuid4()), "items": [item()]}
    response = await mes.post("/mes/v1/quote-jobs", json=body)
    assert response.status_code == 200
    priced = response.json()
    assert priced["status"] == "done" and priced["quote"]["total"] > 0
    followed = (await mes.get(priced["status_url"])).json()
    assert followed["status"] == "done" and followed["quote"] == priced["quote"]


async def test_an_orders_quote_whose_model_is_not_analysed_yet_is_a_job(mes) -> None:
    data = to_binary_stl(box_mesh(11, 12, 13))
    model = (await mes.post("/api/v1/models", content=data, headers=STL)).json()
    body = {
        "order_id": str(uuid.uuid4()),
        "items": [item(model_id=model["id"], dimensions_mm=None)],
    }
    started = await mes.post("/mes/v1/quote-jobs", json=body)
    assert started.status_code == 202
    job = await quoted(mes, body)
    assert job["status"] == "done"
    assert job["progress"]["done"] == job["progress"]["total"]
    # Analysed now: the next order of the same model is priced at once.
    again = {"order_id": str(uuid.uuid4()), "items": body["items"]}
    assert (await mes.post("/mes/v1/quote-jobs", json=again)).status_code == 200


async def test_a_part_larger_than_every_machine_is_refused(mes) -> None:
    body = {
        "order_id": str(uuid.uuid4()),
        "items": [item(process="sla", material="standard-resin", dimensions_mm=[900, 900, 900])],
    }
    job = await quoted(mes, body)
    assert job["status"] == "refused"
    assert job["error"]["code"] == "no_machine_fits"
    assert "SLA" in job["error"]["detail"]


async def test_reserve_release_and_accept_are_idempotent(mes) -> None:
    order_id = str(uuid.uuid4())
    await quoted(mes, {"order_id": order_id, "items": [item()]})
    first = (await mes.post("/mes/v1/reservations", json={"order_id": order_id})).json()
    again = (await mes.post("/mes/v1/reservations", json={"order_id": order_id})).json()
    assert first == again and first["slots"]
    job = await mes.post("/mes/v1/jobs", json={"order_id": order_id})
    assert job.status_code == 200 and job.json()["status"] == "queued"
    assert (await mes.post("/mes/v1/jobs", json={"order_id": order_id})).json() == job.json()
    released = await mes.delete(f"/mes/v1/reservations/{order_id}")
    assert released.json()["released"] == 0


async def test_a_first_acceptance_past_its_time_is_refused_but_a_repeat_is_not(
    mes, settings
) -> None:
    late, early = str(uuid.uuid4()), str(uuid.uuid4())
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    for order_id in (late, early):
        await quoted(mes, {"order_id": order_id, "items": [item()]})
        await mes.post("/mes/v1/reservations", json={"order_id": order_id})
    refused = await mes.post("/mes/v1/jobs", json={"order_id": late, "accept_by": past})
    assert refused.status_code == 409 and refused.json()["code"] == "deadline_exceeded"
    assert await job_rows(settings, late) == 0  # the refusal left no job behind
    accepted = await mes.post("/mes/v1/jobs", json={"order_id": early, "accept_by": future})
    assert accepted.status_code == 200
    repeat = await mes.post("/mes/v1/jobs", json={"order_id": early, "accept_by": past})
    assert repeat.status_code == 200 and repeat.json() == accepted.json()
    assert await job_rows(settings, early) == 1


async def test_accepting_with_reserve_holds_the_time_and_accepts_in_one_call(mes) -> None:
    order_id = str(uuid.uuid4())
    await quoted(mes, {"order_id": order_id, "items": [item()]})
    body = {"order_id": order_id, "reserve": True}
    first = await mes.post("/mes/v1/jobs", json=body)
    assert first.status_code == 200 and first.json()["status"] == "queued"
    assert (await mes.post("/mes/v1/jobs", json=body)).json() == first.json()
    # The order's machine time was booked, and is the job's now: nothing is left to release.
    booked = await mes.post("/mes/v1/reservations", json={"order_id": order_id})
    assert booked.status_code == 200 and booked.json()["slots"]
    assert (await mes.delete(f"/mes/v1/reservations/{order_id}")).json()["released"] == 0


async def job_rows(settings, order_id: str) -> int:
    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            query = text("SELECT count(*) FROM mes.production_jobs WHERE order_id = :id")
            return (await conn.execute(query, {"id": order_id})).scalar_one()
    finally:
        await engine.dispose()


async def test_one_order_accepted_concurrently_gets_one_job_and_one_booking(mes) -> None:
    order_id = str(uuid.uuid4())
    await quoted(mes, {"order_id": order_id, "items": [item(), item(material="petg")]})
    body = {"order_id": order_id, "reserve": True}
    answers = await asyncio.gather(*(mes.post("/mes/v1/jobs", json=body) for _ in range(4)))
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["status"] for a in answers} == {"queued"}
    # The first acceptance booked the order's lines; the others found its job.
    booked = (await mes.post("/mes/v1/reservations", json={"order_id": order_id})).json()
    assert len(booked["slots"]) == 2


async def test_accepting_with_reserve_and_no_capacity_creates_no_job(mes) -> None:
    order_id = str(uuid.uuid4())
    await quoted(
        mes, {"order_id": order_id, "items": [item(quantity=5000, dimensions_mm=[150, 150, 150])]}
    )
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    body = {"order_id": order_id, "reserve": True, "due_date": tomorrow}
    refused = await mes.post("/mes/v1/jobs", json=body)
    assert refused.status_code == 422 and refused.json()["code"] == "no_capacity"
    # Without reserving, nothing was held: accepting alone is refused too.
    alone = await mes.post("/mes/v1/jobs", json={"order_id": order_id})
    assert alone.status_code == 409 and alone.json()["code"] == "no_reservation"


async def test_orders_reserving_at_once_never_share_machine_time(mes) -> None:
    orders = [str(uuid.uuid4()) for _ in range(8)]
    for order_id in orders:
        await quoted(mes, {"order_id": order_id, "items": [item(dimensions_mm=[31, 32, 33])]})
    answers = await asyncio.gather(
        *(mes.post("/mes/v1/reservations", json={"order_id": o}) for o in orders)
    )
    slots = [slot for answer in answers for slot in answer.json()["slots"]]
    assert len(slots) == len(orders)
    by_machine: dict[str, list[tuple[str, str]]] = {}
    for slot in slots:
        by_machine.setdefault(slot["machine_id"], []).append((slot["starts_at"], slot["ends_at"]))
    for booked in by_machine.values():
        booked.sort()
        for (_, ends), (starts, _) in itertools.pairwise(booked):
            assert starts >= ends, booked


async def test_a_released_reservation_frees_the_machine(mes) -> None:
    order_id = str(uuid.uuid4())
    await quoted(mes, {"order_id": order_id, "items": [item()]})
    await mes.post("/mes/v1/reservations", json={"order_id": order_id})
    assert (await mes.delete(f"/mes/v1/reservations/{order_id}")).json()["released"] >= 1
    accept = await mes.post("/mes/v1/jobs", json={"order_id": order_id})
    assert accept.status_code == 409


async def test_a_due_date_that_cannot_be_met_is_refused(mes) -> None:
    order_id = str(uuid.uuid4())
    big_run = item(quantity=5000, dimensions_mm=[150, 150, 150])
    await quoted(mes, {"order_id": order_id, "items": [big_run]})
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    response = await mes.post(
        "/mes/v1/reservations", json={"order_id": order_id, "due_date": tomorrow}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "no_capacity"


async def test_items_the_catalog_cannot_make_are_listed(mes) -> None:
    body = {
        "items": [
            item(material="unobtainium"),
            item(model_id=str(uuid.uuid4()), dimensions_mm=None),
        ]
    }
    response = await mes.post("/mes/v1/items/check", json=body)
    assert response.status_code == 422
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert pointers == ["/items/0", "/items/1/model_id"]


async def test_the_catalog_carries_its_version(mes) -> None:
    catalog = (await mes.get("/api/v1/catalog")).json()
    assert catalog["version"] >= 1
    assert {"materials", "processes", "finishes"} <= set(catalog)


def cache_hits(process_url: str, name: str) -> float:
    """Hits of one cache, read from a process's /metrics."""
    text = httpx.get(f"{process_url}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "fabrika_cache_requests_total" and sample.labels == {
                "cache": name,
                "result": "hit",
            }:
                return sample.value
    return 0.0


async def test_a_repeated_request_is_answered_from_the_quote_cache(mes, quote_worker) -> None:
    body = {"items": [item(quantity=7, dimensions_mm=[12, 34, 56])]}
    first = await quoted(mes, body)
    hits_before = cache_hits(quote_worker, "mes-quotes")
    second = await quoted(mes, body)
    assert second["quote"]["total"] == first["quote"]["total"]
    assert cache_hits(quote_worker, "mes-quotes") == hits_before + 1


async def test_the_support_an_overhang_needs_is_printed_and_charged(mes) -> None:
    cap_and_stem = np.concatenate(
        [
            box_mesh(10, 10, 10).triangles + np.array([10, 10, 0]),
            box_mesh(30, 30, 5).triangles + np.array([0, 0, 10]),
        ]
    )
    data = to_binary_stl(Mesh(cap_and_stem))
    model = (await mes.post("/api/v1/models", content=data, headers=STL)).json()
    job = await quoted(mes, {"items": [item(model_id=model["id"], dimensions_mm=None, quantity=1)]})
    catalog = (await mes.get("/api/v1/catalog")).json()
    density = next(m for m in catalog["materials"] if m["id"] == "pla")["density_g_cm3"]
    fill = next(p for p in catalog["processes"] if p["id"] == "fdm")["support_fill"]
    # Best orientation: cap down, 10 × 10 × 5 mm³ under the stem's end.
    expected_grams = (model["volume_mm3"] + 500 * fill) / 1000 * density
    material_line = job["quote"]["lines"][0]["breakdown"][0]["label"]
    assert f"{expected_grams:,.1f} g" in material_line


async def test_customers_can_ask_for_a_price_without_ordering(mes) -> None:
    started = await mes.post("/api/v1/quotes", json={"items": [item()]})
    assert started.status_code == 202
    assert started.json()["status_url"].startswith("/api/v1/quotes/")
    async with asyncio.timeout(30):
        while (job := (await mes.get(started.json()["status_url"])).json())["status"] in (
            "queued",
            "running",
        ):
            await asyncio.sleep(0.05)
    assert job["status"] == "done" and job["quote"]["ready_by"]


async def test_an_unknown_quote_job_is_not_found(mes) -> None:
    assert (await mes.get("/api/v1/quotes/no-such-job")).status_code == 404
    assert (await mes.get("/api/v1/quotes/bad%20id")).status_code == 422


async def test_a_long_poll_answers_with_the_finished_job(mes) -> None:
    data = to_binary_stl(box_mesh(21, 22, 23))
    model = (await mes.post("/api/v1/models", content=data, headers=STL)).json()
    body = {"items": [item(model_id=model["id"], dimensions_mm=None)]}
    started = (await mes.post("/api/v1/quotes", json=body)).json()

    job = (await mes.get(started["status_url"], params={"wait_s": 10})).json()

    assert job["status"] == "done" and job["quote"]["total"] > 0
    assert job["progress"] == {"done": 2, "total": 2}


async def test_long_polls_waiting_together_each_get_their_own_job(mes) -> None:
    bodies = [{"items": [item(quantity=q, dimensions_mm=[9, 8, q])]} for q in (1, 2, 3, 4, 5)]
    started = [(await mes.post("/api/v1/quotes", json=body)).json() for body in bodies]

    answers = await asyncio.gather(
        *(mes.get(job["status_url"], params={"wait_s": 10}) for job in started)
    )

    jobs = [answer.json() for answer in answers]
    assert [job["id"] for job in jobs] == [job["id"] for job in started]
    assert [job["quote"]["lines"][0]["quantity"] for job in jobs] == [1, 2, 3, 4, 5]


async def test_a_job_with_several_models_counts_each_in_its_progress(mes) -> None:
    models = [
        (await mes.post("/api/v1/models", content=to_binary_stl(mesh), headers=STL)).json()
        for mesh in (box_mesh(14, 15, 16), box_mesh(17, 18, 19))
    ]
    items = [item(model_id=model["id"], dimensions_mm=None) for model in models]

    job = await quoted(mes, {"items": [*items, items[0]]})

    assert job["status"] == "done" and len(job["quote"]["lines"]) == 3
    assert job["progress"] == {"done": 3, "total": 3}


async def test_when_a_machine_is_next_free_is_read_from_the_end_of_its_index(settings) -> None:
    """Not a scan of every booking the machine ever had: the live bookings' index, read
    backwards, one entry per machine (seq scans off: this run's table is small)."""
    engine = create_engine(settings.sqlalchemy_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SET enable_seqscan = off"))
            statement = booked_until_statement(["fdm-mk4-1", "sla-form-1"])
            compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(row[0] for row in await conn.execute(text(f"EXPLAIN {compiled}")))
    finally:
        await engine.dispose()
    assert plan.count("Backward using ix_mes_reservations_machine_live_end") == 2, plan
