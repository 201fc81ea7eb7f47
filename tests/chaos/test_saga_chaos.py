"""200 orders while saga workers and MES instances are killed with SIGKILL.

Every client attempt is recorded as invoked, then ok, failed or unknown (Jepsen's way); a
client whose attempt was not taken tries again, as a real one does, until its order is
taken. Afterwards the database is checked: every order taken ended (ACCEPTED or CANCELLED)
before its deadline, with one CRM record and one final email each, machine time held only
by accepted orders, each compensation's effect at most once. An attempt whose answer was
lost (unknown) may have placed an order too: such orders must end the same way.
"""

import asyncio
import os
import random
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest

from fabrika.orders.emails import order_ref
from fabrika.platform.launcher import RunningPlatform, running_platform

CONFIRM_TIMEOUT_S = 15
DEADLINE_S = 150
KINDS = ["happy"] * 12 + ["too_large"] * 3 + ["declined"] * 3 + ["unconfirmed"] * 2
ORDERS = 200
KILLS = 8
TIME_REASONS = {"confirmation_timeout", "deadline_exceeded"}
SUBMIT_ATTEMPTS = 30  # a client gives up only after this many attempts, some minutes
# The test's own bound: submissions (a few minutes at worst), then every order's deadline,
# then the checks; beyond it the test fails instead of hanging the suite.
TIME_BOUND_S = 240 + DEADLINE_S + 120
pytestmark = [pytest.mark.chaos, pytest.mark.timeout(TIME_BOUND_S + 60)]


@dataclass
class Operation:
    kind: str
    email: str
    attempts: list[str] = field(default_factory=list)  # each: ok, failed or unknown
    order_id: str | None = None
    decisions: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.attempts[-1] if self.attempts else "invoked"


@pytest.fixture(scope="module")
def platform():
    overrides = {
        "FABRIKA_CONFIRM_TIMEOUT_S": str(CONFIRM_TIMEOUT_S),
        "FABRIKA_SHOP_DEADLINE_S": str(DEADLINE_S),
        "FABRIKA_COMPENSATION_RESERVE_S": "20",
        "FABRIKA_LOG_LEVEL": "WARNING",
    }
    with running_platform(overrides, scale="saga=2,mes=2") as running:
        yield running


def order_body(op: Operation) -> dict:
    item = {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [15, 15, 15]}
    if op.kind == "too_large":
        item = {
            "material": "standard-resin",
            "process": "sla",
            "quantity": 1,
            "dimensions_mm": [900, 900, 900],
        }
    return {"customer": {"email": op.email, "name": "Chaos", "language": "en"}, "items": [item]}


async def submit(http: httpx.AsyncClient, platform: RunningPlatform, op: Operation) -> None:
    """Place the order, trying again after a refusal by an unavailable service (5xx) or a
    lost answer, with a growing pause, until it is taken; a 4xx is final."""
    pause = 0.2
    for _ in range(SUBMIT_ATTEMPTS):
        try:
            response = await http.post(f"{platform.shop}/api/v1/orders", json=order_body(op))
        except httpx.HTTPError:
            op.attempts.append("unknown")
        else:
            if response.status_code == 202:
                op.attempts.append("ok")
                op.order_id = response.json()["id"]
                return
            op.attempts.append("failed")
            if response.status_code < 500:
                return
        await asyncio.sleep(pause)
        pause = min(pause * 2, 5.0)


async def drive(http: httpx.AsyncClient, platform: RunningPlatform, op: Operation) -> None:
    """Follow one order to its end, confirming or declining it as its kind says."""
    url = f"{platform.shop}/api/v1/orders/{op.order_id}"
    async with asyncio.timeout(DEADLINE_S + 60):
        while True:
            try:
                order = (await http.get(url)).json()
            except (httpx.HTTPError, ValueError):
                await asyncio.sleep(0.5)
                continue
            status = order.get("status")
            if status in ("ACCEPTED", "CANCELLED"):
                return
            if status == "QUOTED" and op.kind in ("happy", "declined"):
                action = "confirm" if op.kind == "happy" else "cancel"
                try:
                    answer = await http.post(f"{url}/{action}")
                    op.decisions.append(f"{action}:{answer.status_code}")
                except httpx.HTTPError:
                    op.decisions.append(f"{action}:unknown")
            await asyncio.sleep(0.5)


def kill_one(platform: RunningPlatform, rng: random.Random) -> str:
    victims = [
        p for p in (platform.run_dir / "pids").glob("*.pid") if p.stem.startswith(("saga-", "mes-"))
    ]
    victim = rng.choice(victims)
    os.kill(int(victim.read_text()), signal.SIGKILL)
    return victim.stem


async def killer(platform: RunningPlatform, rng: random.Random, killed: list[str]) -> None:
    for _ in range(KILLS):
        await asyncio.sleep(rng.uniform(2, 5))
        killed.append(kill_one(platform, rng))


async def run_history(platform: RunningPlatform) -> tuple[list[Operation], list[str]]:
    rng = random.Random(20261124)
    ops = [
        Operation(rng.choice(KINDS), f"chaos-{i}-{uuid.uuid4().hex[:6]}@example.com")
        for i in range(ORDERS)
    ]
    killed: list[str] = []
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(timeout=15, limits=limits) as http:
        chaos = asyncio.create_task(killer(platform, rng, killed))
        drivers = []

        async def place_and_follow(op: Operation) -> None:
            await submit(http, platform, op)
            if op.order_id:
                await drive(http, platform, op)

        for op in ops:
            drivers.append(asyncio.create_task(place_and_follow(op)))
            await asyncio.sleep(0.1)
        await chaos
        await asyncio.gather(*drivers)
    return ops, killed


def wait_for_outbox(db: psycopg.Connection, timeout_s: float = 60) -> None:
    """Emails leave notify's outbox in the background: wait until none is queued."""
    deadline = time.monotonic() + timeout_s
    while db.execute("SELECT count(*) FROM notify.deliveries WHERE status = 'queued'").fetchone()[
        0
    ]:
        assert time.monotonic() < deadline, "emails still queued"
        time.sleep(0.5)


def final_emails(db: psycopg.Connection, orders: set[str], timeout_s: float = 30) -> Counter:
    """The final emails in the mailbox by order number, once every order has one (or the
    time is up): the mail sink files what it received a moment after answering the sender."""
    deadline = time.monotonic() + timeout_s
    while True:
        subjects = db.execute(
            "SELECT subject FROM notify.mailbox WHERE subject LIKE '%%accepted into%%' "
            "OR subject LIKE '%%cancelled'"
        ).fetchall()
        finals = Counter(subject.split()[1] for (subject,) in subjects)
        if set(finals) >= orders or time.monotonic() > deadline:
            return finals
        time.sleep(0.2)


async def bounded_history(platform: RunningPlatform) -> tuple[list[Operation], list[str]]:
    async with asyncio.timeout(TIME_BOUND_S - 60):
        return await run_history(platform)


def test_every_order_ends_once_and_in_time_despite_killed_workers(platform) -> None:
    ops, killed = asyncio.run(bounded_history(platform))

    assert len(killed) >= 5 and any(k.startswith("saga-") for k in killed)
    submitted = [op for op in ops if op.outcome == "ok"]
    # Every client got its order taken in the end (a 4xx would be a bug: all are valid).
    assert len(submitted) == ORDERS, Counter(op.outcome for op in ops)

    with psycopg.connect(platform.env["FABRIKA_DATABASE_URL"], autocommit=True) as db:
        wait_for_outbox(db)
        orders = db.execute(
            "SELECT o.id::text, o.status, o.deadline_at, c.email, "
            "(SELECT max(at) FROM crm.order_events e WHERE e.order_id = o.id), o.reason_code "
            "FROM crm.orders o JOIN crm.customers c ON c.id = o.customer_id"
        ).fetchall()
        by_id = {row[0]: row for row in orders}
        # Every submission the client saw succeed has exactly one CRM record; any other
        # order is one an attempt whose answer was lost placed (it ends like the others).
        assert all(op.order_id in by_id for op in submitted)
        assert len(by_id) == len(orders)
        acknowledged = {op.order_id for op in submitted}
        unsure = {op.email for op in ops if "unknown" in op.attempts}
        assert all(row[3] in unsure for row in orders if row[0] not in acknowledged)
        unfinished = [row for row in orders if row[1] not in ("ACCEPTED", "CANCELLED")]
        assert unfinished == []
        late = [row for row in orders if row[4] > row[2]]
        assert late == []

        events = Counter(
            db.execute("SELECT order_id::text, status FROM crm.order_events").fetchall()
        )
        assert max(events.values()) == 1  # no status, compensation included, recorded twice

        held = db.execute(
            "SELECT DISTINCT order_id::text FROM mes.reservations WHERE status <> 'released'"
        ).fetchall()
        accepted = {row[0] for row in orders if row[1] == "ACCEPTED"}
        assert {row[0] for row in held} <= accepted
        jobs = db.execute("SELECT order_id::text FROM mes.production_jobs").fetchall()
        assert {row[0] for row in jobs} == accepted

        references = {order_ref(row[0]) for row in orders}
        finals = final_emails(db, references)
        assert set(finals) == references
        assert max(finals.values()) == 1

    outcomes = Counter((op.kind, by_id[op.order_id][1]) for op in submitted)
    happy_cancelled = Counter(
        by_id[op.order_id][5]
        for op in submitted
        if op.kind == "happy" and by_id[op.order_id][1] == "CANCELLED"
    )
    print(
        f"\nkilled: {killed}\noutcomes: {dict(outcomes)}\n"
        f"happy orders cancelled, by reason: {dict(happy_cancelled)}\n"
        f"client attempts: {dict(Counter(a for op in ops for a in op.attempts))}"
    )
    assert outcomes[("too_large", "ACCEPTED")] == 0
    assert outcomes[("unconfirmed", "ACCEPTED")] == 0
    assert outcomes[("happy", "ACCEPTED")] > 0
    # A happy order that did not make it ran out of time (on a machine slowed enough, the
    # client's confirmation comes too late or the deadline passes): a failure of any other
    # kind would be the platform's fault. How many make it is a figure, not a rule here.
    assert set(happy_cancelled) <= TIME_REASONS, happy_cancelled
