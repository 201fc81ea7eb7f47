"""End-to-end orders/s through the gateway: one saga worker against two.

B2B orders (automatic confirmation) with trivial quotes (outer dimensions only), sent by
concurrent clients through the B2B entry. Times come from the CRM's own records: each
order's submission and its ACCEPTED event, so polling adds no load. Prints orders/s
(first submission to last acceptance) and p50/p95 submission→ACCEPTED per run.

    .venv/bin/python bench/orders.py [--orders 600] [--clients 16]
"""

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import psycopg

from fabrika.platform.launcher import running_platform

KEY = "fab_bench_" + uuid.uuid4().hex


async def submit_all(b2b: str, orders: int, clients: int) -> int:
    body = {
        "items": [
            {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [10, 10, 10]}
        ]
    }
    headers = {"Authorization": f"Bearer {KEY}"}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(orders):
        queue.put_nowait(i)
    refused: Counter[str] = Counter()
    accepted = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            queue.get_nowait()
            response = await http.post(f"{b2b}/v1/orders", json=body, headers=headers)
            if response.status_code == 202:
                accepted += 1
            else:
                refused[f"{response.status_code} {response.text[:160]}"] += 1

    async with httpx.AsyncClient(timeout=30) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    for answer, count in refused.items():
        print(f"    refused {count}×: {answer}")
    return accepted


def _process_cpu(pid: str) -> float | None:
    """User + system CPU seconds of one process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(run_dir: Path) -> dict[str, float]:
    """CPU seconds of each platform process, and of all Postgres and HAProxy processes
    (the machine's Postgres serves only this benchmark while it runs)."""
    spent = {}
    pids = {
        pid_file.stem: pid_file.read_text().strip() for pid_file in (run_dir / "pids").glob("*.pid")
    }
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


def wait_accepted(database: str, expected: int, timeout_s: float) -> list[tuple]:
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(database) as db:
        while time.monotonic() < deadline:
            rows = db.execute(
                "SELECT o.submitted_at, e.at FROM crm.orders o JOIN crm.order_events e "
                "ON e.order_id = o.id AND e.status = 'ACCEPTED'"
            ).fetchall()
            if len(rows) >= expected:
                return rows
            time.sleep(0.5)
    raise TimeoutError(f"only {len(rows)} of {expected} orders accepted")


def run(saga_workers: int, orders: int, clients: int) -> tuple[float, float, float]:
    overrides = {"FABRIKA_DEMO_B2B_KEY": KEY, "FABRIKA_LOG_LEVEL": "WARNING"}
    with running_platform(overrides, scale=f"saga={saga_workers}") as platform:
        asyncio.run(submit_all(platform.b2b, 20, 4))  # warm-up, not counted
        database = platform.env["FABRIKA_DATABASE_URL"]
        wait_accepted(database, 20, 60)
        with psycopg.connect(database, autocommit=True) as db:
            db.execute("TRUNCATE crm.order_events, crm.orders CASCADE")
        cpu_before = cpu_seconds(platform.run_dir)
        own_before = time.process_time()
        sent = asyncio.run(submit_all(platform.b2b, orders, clients))
        rows = wait_accepted(database, sent, 300)
        cpu_after = cpu_seconds(platform.run_dir)
        # The load generator shares the machine: its CPU is shown, not counted as the platform's.
        cpu_after["load generator"] = time.process_time() - own_before
        # Postgres backends come and go: count what the ones alive at the end spent since.
        cpu = {name: spent - cpu_before.get(name, 0.0) for name, spent in cpu_after.items()}
    first = min(submitted for submitted, _ in rows)
    last = min(max(at for _, at in rows), max(at for _, at in rows))
    latencies = sorted((at - submitted).total_seconds() * 1000 for submitted, at in rows)
    rate = len(rows) / (last - first).total_seconds()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(
        f"  {saga_workers} saga worker{'s' if saga_workers > 1 else ' '}: {len(rows)} orders, "
        f"{rate:.1f} orders/s, submission→ACCEPTED p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {p95:.0f} ms"
    )
    per_order = ", ".join(
        f"{name} {1000 * spent / len(rows):.0f}"
        for name, spent in sorted(cpu.items(), key=lambda item: -item[1])
        if spent > 0
    )
    print(f"    CPU ms per order by process: {per_order}")
    platform_cpu = sum(spent for name, spent in cpu.items() if name != "load generator")
    print(f"    CPU ms per order, the platform in all: {1000 * platform_cpu / len(rows):.0f}")
    return rate, statistics.median(latencies), p95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=600)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    print(f"\nB2B orders end to end through the gateway, {args.clients} clients")
    one = run(1, args.orders, args.clients)
    two = run(2, args.orders, args.clients)
    print(f"  two workers / one: × {two[0] / one[0]:.2f} orders/s")


if __name__ == "__main__":
    main()
