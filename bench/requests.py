"""CPU per request of the calls a B2B order makes, each served by one instance, side by side.

A platform is started; each call is sent straight to one instance (not through the
gateway), one at a time, `--requests` times, and the instance's CPU is read from /proc
before and after. A request for an unknown path gives the framework's own cost. Emails are
then followed through delivery: the CPU notify's sender and the mail sink spent on them.

    .venv/bin/python bench/requests.py [--requests 400]
"""

import argparse
import asyncio
import datetime as dt
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from orders import BODY, KEY, _process_cpu, instance_pids, machine_speed_ms

from fabrika.contracts.orders import Customer, Item
from fabrika.core.http import ServiceClient
from fabrika.crm.client import CrmClient
from fabrika.crm.schemas import RegisterOrder, Transition
from fabrika.mes.client import MesClient
from fabrika.notify.client import NotifyClient
from fabrika.notify.schemas import EmailRequest
from fabrika.platform.launcher import RunningPlatform, running_platform

Call = Callable[[], Awaitable[object]]
ITEMS = [Item.model_validate(item) for item in BODY["items"]]
CUSTOMER = Customer(email="bench@example.com", name="Bench", language="en")


def instance_ports(platform: RunningPlatform) -> dict[str, int]:
    config = (platform.run_dir / "haproxy.cfg").read_text()
    return {
        name: int(port) for name, port in re.findall(r"server (\S+) 127\.0\.0\.1:(\d+)\n", config)
    }


async def cpu_per_call(pid: str, call: Call, requests: int) -> tuple[float, float]:
    """(CPU ms of the instance, wall ms) per call, after a few calls of warm-up."""
    for _ in range(10):
        await call()
    cpu, started = _process_cpu(pid), time.perf_counter()
    for _ in range(requests):
        await call()
    spent = _process_cpu(pid) - cpu
    return 1000 * spent / requests, 1000 * (time.perf_counter() - started) / requests


def registration(now: dt.datetime) -> RegisterOrder:
    return RegisterOrder(
        channel="b2b",
        customer=CUSTOMER,
        items=ITEMS,
        submitted_at=now,
        deadline_at=now + dt.timedelta(hours=1),
        transitions=[
            Transition(status="QUOTED", price=1.5, currency="EUR", quote={"price": 1.5}),
            Transition(status="CONFIRMED"),
        ],
    )


def email() -> EmailRequest:
    params = {"name": "Bench", "order_ref": "AB12CD34", "status_url": "http://x/1"}
    params |= {"price": "1.50", "currency": "EUR", "ready_by": None, "lines": [], "deadline": ""}
    return EmailRequest(
        key=f"bench:{uuid.uuid4()}", to="bench@example.com", event="accepted", params=params
    )


async def measure(platform: RunningPlatform, requests: int) -> None:
    ports, pids = instance_ports(platform), instance_pids(platform.run_dir)
    http = {
        name: ServiceClient(f"http://127.0.0.1:{ports[name]}", timeout_s=10)
        for name in ("mes-0", "crm-0", "notify-0")
    }
    mes, crm, notify = (
        MesClient(http["mes-0"]),
        CrmClient(http["crm-0"]),
        NotifyClient(http["notify-0"]),
    )
    quoted: list[uuid.UUID] = []
    registered: list[uuid.UUID] = []
    now = dt.datetime.now(dt.UTC)

    async def quote() -> None:
        quoted.append(uuid.uuid4())
        await mes.request_quote(quoted[-1], ITEMS)

    async def register() -> None:
        registered.append(uuid.uuid4())
        await crm.register_order(registered[-1], registration(now))

    to_accept, to_record = iter(quoted), iter(registered)
    calls: list[tuple[str, str, Call]] = [
        (
            "unknown path (framework only)",
            "mes-0",
            lambda: http["mes-0"].request("GET", "/mes/v1/none", json=None, params=None),
        ),
        ("MES quote at once", "mes-0", quote),
        ("MES reserve and accept", "mes-0", lambda: mes.accept(next(to_accept), reserve=True)),
        ("CRM register, confirmed", "crm-0", register),
        (
            "CRM record RESERVED, ACCEPTED",
            "crm-0",
            lambda: crm.record_transitions(
                next(to_record), Transition(status="RESERVED"), Transition(status="ACCEPTED")
            ),
        ),
    ]
    try:
        for label, instance, call in calls:
            cpu, wall = await cpu_per_call(pids[instance], call, requests)
            print(f"  {label:32s} {cpu:5.2f} ms CPU, {wall:5.2f} ms wall per request ({instance})")
        before = {name: _process_cpu(pids[name]) for name in ("notify-0", "mailsink")}
        cpu, wall = await cpu_per_call(
            pids["notify-0"], lambda: notify.send_email(email()), requests
        )
        print(
            f"  {'notify queue an email':32s} {cpu:5.2f} ms CPU, {wall:5.2f} ms wall per request "
            "(notify-0, its sender included)"
        )
        await asyncio.sleep(5)  # the sender delivers what is queued
        delivered = {
            name: 1000 * (_process_cpu(pids[name]) - spent) / (requests + 10)
            for name, spent in before.items()
        }
        print(
            f"  {'one email in all':32s} notify {delivered['notify-0']:.2f} ms CPU, "
            f"mail sink {delivered['mailsink']:.2f} ms CPU"
        )
    finally:
        for client in http.values():
            await client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    print("\nCPU per request of one instance, requests one at a time")
    print(f"  machine speed before: {machine_speed_ms():.0f} ms for a fixed loop (less is faster)")
    with running_platform(
        {"FABRIKA_DEMO_B2B_KEY": KEY, "FABRIKA_LOG_LEVEL": "WARNING"}
    ) as platform:
        asyncio.run(measure(platform, args.requests))
    print(f"  machine speed after: {machine_speed_ms():.0f} ms for the same loop")


if __name__ == "__main__":
    main()
