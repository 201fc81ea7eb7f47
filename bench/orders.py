"""End-to-end orders/s through the gateway: one saga worker against two.

B2B orders (automatic confirmation) with trivial quotes (outer dimensions only), sent
through the B2B entry. Times come from the CRM's own records: each order's submission and
its ACCEPTED event, so polling adds no load. Two phases per platform:

- burst: `--orders` orders from `--clients` concurrent clients, as fast as they are taken.
  Prints orders/s (first submission to last acceptance), p50/p95 submission→ACCEPTED
  (mostly time queued behind the burst) and the CPU each process spent per order;
- steady: random (Poisson) arrivals at `--load` × the burst's rate for `--steady-s`
  seconds. Prints the rate kept and p50/p95 submission→ACCEPTED at that rate.

    .venv/bin/python bench/orders.py [--orders 600] [--clients 16] [--load 0.8]
        [--workers 1,2] [--scale mes=1,crm=1]
"""

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
import psycopg
from probe import machine_speed_ms

from fabrika.platform.launcher import RunningPlatform, running_platform

QUOTA_CACHE_S = 1.5
KEY = "fab_bench_" + uuid.uuid4().hex


BODY = {
    "items": [{"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}]
}
HEADERS = {"Authorization": f"Bearer {KEY}"}


async def _submit(http: aiohttp.ClientSession, b2b: str, refused: Counter[str]) -> bool:
    # Every order its own Idempotency-Key, as a partner's client sends (an earlier release
    # that does not know the header ignores it).
    headers = {**HEADERS, "Idempotency-Key": str(uuid.uuid4())}
    async with http.post(f"{b2b}/v1/orders", json=BODY, headers=headers) as response:
        if response.status == 202:
            return True
        refused[f"{response.status} {(await response.text())[:160]}"] += 1
        return False


def _report_refused(refused: Counter[str]) -> None:
    for answer, count in refused.items():
        print(f"    refused {count}×: {answer}")


async def submit_all(b2b: str, orders: int, clients: int) -> int:
    """A burst: `clients` clients send `orders` orders back to back; the number taken."""
    remaining = iter(range(orders))
    refused: Counter[str] = Counter()

    async def client(http: aiohttp.ClientSession) -> int:
        return sum([await _submit(http, b2b, refused) for _ in remaining])

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        taken = sum(await asyncio.gather(*(client(http) for _ in range(clients))))
    _report_refused(refused)
    return taken


async def submit_paced(b2b: str, rate: float, seconds: float) -> int:
    """Open loop: orders arrive at random (Poisson) at `rate` per second, each sent
    whether or not the ones before were answered; the number taken."""
    refused: Counter[str] = Counter()
    pacing = random.Random(7)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        sends = []
        start = time.monotonic()
        due = start
        while due - start < seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sends.append(asyncio.create_task(_submit(http, b2b, refused)))
            due += pacing.expovariate(rate)
        taken = sum(await asyncio.gather(*sends))
    _report_refused(refused)
    return taken


def _process_cpu(pid: str) -> float | None:
    """User + system CPU seconds of one process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def instance_pids(run_dir: Path) -> dict[str, str]:
    """{instance name: pid} of the platform's processes, from the files `fabrika up` writes."""
    return {
        pid_file.stem: pid_file.read_text().strip() for pid_file in (run_dir / "pids").glob("*.pid")
    }


def cpu_seconds(run_dir: Path) -> dict[str, float]:
    """CPU seconds of each platform process, and of all Postgres and HAProxy processes
    (the machine's Postgres serves only this benchmark while it runs)."""
    spent = {}
    pids = instance_pids(run_dir)
    for name, pid in pids.items():
        if (cpu := _process_cpu(pid)) is not None:
            spent[name] = cpu
    for proc in Path("/proc").glob("[0-9]*"):
        if proc.name in pids.values():
            continue
        try:
            name = (proc / "comm").read_text().strip()
        except OSError:
            continue
        if name in ("postgres", "haproxy") and (cpu := _process_cpu(proc.name)) is not None:
            spent[name] = spent.get(name, 0.0) + cpu
    return spent


def lift_quota(platform: RunningPlatform) -> str:
    """Put the demo account on a plan with quotas far above what this benchmark sends, so it
    measures the saga and not the quota; through the CRM's internal API, as the operators'
    API would. A release without plans has nothing to lift."""
    crm = f"{platform.url('internal')}/crm/v1"
    plan = {
        "name": "bench",
        "description": "bench/orders.py: no quota in the way",
        "max_quote_jobs": 100,
        "policies": {
            kind: {"rate_per_s": 10_000, "burst": 20_000} for kind in ("writes", "reads", "quotes")
        },
    }
    with httpx.Client(timeout=10) as http:
        if http.put(f"{crm}/plans/bench", json=plan).status_code == 404:
            return "none (this release has no quotas)"
        for account in http.get(f"{crm}/accounts").raise_for_status().json():
            http.patch(f"{crm}/accounts/{account['id']}", json={"plan": "bench"}).raise_for_status()
    time.sleep(QUOTA_CACHE_S)  # each B2B instance caches an account's plan this long
    return "bench (10,000 calls/s)"


def wait_accepted(
    database: str, expected: int, timeout_s: float, since: dt.datetime
) -> list[tuple]:
    """(submitted, ACCEPTED) of the orders submitted since `since`, once `expected` are."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(database) as db:
        while time.monotonic() < deadline:
            rows = db.execute(
                "SELECT o.submitted_at, e.at FROM crm.orders o JOIN crm.order_events e "
                "ON e.order_id = o.id AND e.status = 'ACCEPTED' WHERE o.submitted_at >= %s",
                (since,),
            ).fetchall()
            if len(rows) >= expected:
                return rows
            time.sleep(0.5)
    raise TimeoutError(f"only {len(rows)} of {expected} orders accepted")


def _percentiles(rows: list[tuple]) -> tuple[float, float]:
    latencies = sorted((at - submitted).total_seconds() * 1000 for submitted, at in rows)
    return statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))]


def run(
    saga_workers: int, orders: int, clients: int, load: float, steady_s: float, scale: str
) -> float:
    """Both phases on one platform; the burst's orders/s."""
    overrides = {"FABRIKA_DEMO_B2B_KEY": KEY, "FABRIKA_LOG_LEVEL": "WARNING"}
    label = f"{saga_workers} saga worker{'s' if saga_workers > 1 else ' '}"
    scale = ",".join(filter(None, [f"saga={saga_workers}", scale]))
    with running_platform(overrides, scale=scale) as platform:
        database = platform.env["FABRIKA_DATABASE_URL"]
        print(f"  {label} quota plan: {lift_quota(platform)}")
        since = dt.datetime.now(dt.UTC)
        asyncio.run(submit_all(platform.b2b, 20, 4))  # warm-up, not counted
        wait_accepted(database, 20, 60, since)
        since = dt.datetime.now(dt.UTC)
        cpu_before = cpu_seconds(platform.run_dir)
        own_before = time.process_time()
        sent = asyncio.run(submit_all(platform.b2b, orders, clients))
        rows = wait_accepted(database, sent, 300, since)
        cpu_after = cpu_seconds(platform.run_dir)
        # The load generator shares the machine: its CPU is shown, not counted as the platform's.
        cpu_after["load generator"] = time.process_time() - own_before
        # Postgres backends come and go: count what the ones alive at the end spent since.
        cpu = {name: spent - cpu_before.get(name, 0.0) for name, spent in cpu_after.items()}
        first = min(submitted for submitted, _ in rows)
        last = max(at for _, at in rows)
        rate = len(rows) / (last - first).total_seconds()
        p50, p95 = _percentiles(rows)
        print(
            f"  {label} burst:  {len(rows)} orders, {rate:.1f} orders/s, "
            f"submission→ACCEPTED p50 {p50:.0f} ms, p95 {p95:.0f} ms"
        )
        _print_cpu(cpu, len(rows))

        since = dt.datetime.now(dt.UTC)
        offered = load * rate
        sent = asyncio.run(submit_paced(platform.b2b, offered, steady_s))
        rows = wait_accepted(database, sent, 300, since)
        kept = len(rows) / (max(at for _, at in rows) - min(s for s, _ in rows)).total_seconds()
        p50, p95 = _percentiles(rows)
        print(
            f"  {label} steady: {offered:.1f} orders/s offered ({load:.0%} of the burst's) for "
            f"{steady_s:.0f} s, {kept:.1f} kept, submission→ACCEPTED p50 {p50:.0f} ms, "
            f"p95 {p95:.0f} ms"
        )
    return rate


def _print_cpu(cpu: dict[str, float], orders: int) -> None:
    per_order = ", ".join(
        f"{name} {1000 * spent / orders:.0f}"
        for name, spent in sorted(cpu.items(), key=lambda item: -item[1])
        if spent > 0
    )
    print(f"    CPU ms per order by process: {per_order}")
    platform_cpu = sum(spent for name, spent in cpu.items() if name != "load generator")
    print(f"    CPU ms per order, the platform in all: {1000 * platform_cpu / orders:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--load", type=float, default=0.8, help="steady rate / burst rate")
    parser.add_argument("--steady-s", type=float, default=30.0)
    parser.add_argument("--scale", default="", help="other instances, e.g. mes=1,crm=1")
    parser.add_argument("--workers", default="1,2", help="saga workers to compare")
    args = parser.parse_args()
    print(f"\nB2B orders end to end through the gateway ({args.clients} clients in the burst)")
    print(f"  machine speed before: {machine_speed_ms():.0f} ms for a fixed loop (less is faster)")
    rates = {
        workers: run(workers, args.orders, args.clients, args.load, args.steady_s, args.scale)
        for workers in map(int, args.workers.split(","))
    }
    if {1, 2} <= rates.keys():
        print(f"  two workers / one: × {rates[2] / rates[1]:.2f} orders/s in the burst")
    print(f"  machine speed after: {machine_speed_ms():.0f} ms for the same loop")


if __name__ == "__main__":
    main()
