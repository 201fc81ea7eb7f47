"""Quoting real models: one million triangles end to end, and one quote worker against two.

Part 1 times, for a generated closed mesh of about 1,000,000 triangles (50 MB binary STL):
parsing, measuring and analysing it in-process, then through the gateway the upload
(parse + measure) and the quote job (analysis + pricing), first computed, then repeated
(answered from the caches).

Part 2 starts the platform with one quote worker, then with two (caches off, so every job
analyses its model), submits the same batch of quote jobs for distinct CPU-bound models
and prints quotes/s and the speed-up.

Part 3 prices what one quote job costs the machine: with one quote worker and caches off,
quote jobs one after another for models of 60,000 triangles, each asked for through the
shop entry and followed by long poll as a customer would; the CPU each process of the
platform (and its Postgres backends) spent per job, less what it spends idle, and the
database transactions per job.

    .venv/bin/python bench/quotes.py [--triangles 1000000] [--jobs 24] [--model-triangles 200000]
                                     [--cpu-jobs 150] [--parts million,throughput,cpu]
"""

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fabrika.mes.analysis import analyse
from fabrika.mes.geometry import fine_mesh, measure, parse_stl, to_binary_stl
from fabrika.platform.launcher import RunningPlatform, running_platform

STL = {"Content-Type": "model/stl"}
TICK = os.sysconf("SC_CLK_TCK")


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def upload(http: httpx.Client, shop: str, data: bytes) -> dict:
    response = http.post(f"{shop}/api/v1/models", content=data, headers=STL)
    response.raise_for_status()
    return response.json()


def start_quote(http: httpx.Client, shop: str, model_id: str) -> str:
    item = {"material": "pla", "process": "fdm", "quantity": 1, "model_id": model_id}
    response = http.post(f"{shop}/api/v1/quotes", json={"items": [item]})
    response.raise_for_status()
    return shop + response.json()["status_url"]


def wait_done(http: httpx.Client, url: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = http.get(url).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.02)
    raise TimeoutError(url)


def million(triangles: int) -> None:
    data = to_binary_stl(fine_mesh(triangles))
    mesh, t_parse = timed(lambda: parse_stl(data, max_triangles=len(data)))
    _, t_measure = timed(lambda: measure(mesh))
    _, t_analyse = timed(lambda: analyse(mesh))
    print(f"\none model of {len(mesh.triangles):,} triangles ({len(data) / 1e6:.1f} MB)")
    print(
        f"  in-process: parse {t_parse * 1000:.0f} ms, measure {t_measure * 1000:.0f} ms, "
        f"analyse (6 orientations) {t_analyse * 1000:.0f} ms"
    )
    with (
        running_platform({"FABRIKA_LOG_LEVEL": "WARNING"}) as platform,
        httpx.Client(timeout=120) as http,
    ):
        model, t_upload = timed(lambda: upload(http, platform.shop, data))
        job, t_quote = timed(lambda: wait_done(http, start_quote(http, platform.shop, model["id"])))
        assert job["status"] == "done", job
        again, t_again = timed(
            lambda: wait_done(http, start_quote(http, platform.shop, model["id"]))
        )
    print(
        f"  through the gateway: upload (parse + measure) {t_upload * 1000:.0f} ms; "
        f"quote job {t_quote * 1000:.0f} ms; upload + quote {(t_upload + t_quote):.2f} s"
    )
    print(
        f"  the same quote again (caches) {t_again * 1000:.0f} ms; "
        f"price {again['quote']['total']} {again['quote']['currency']}"
    )


def throughput(workers: int, models: list[bytes], jobs: int) -> float:
    overrides = {"FABRIKA_CACHE_ENABLED": "false", "FABRIKA_LOG_LEVEL": "WARNING"}
    with (
        running_platform(overrides, scale=f"quote={workers}") as platform,
        httpx.Client(timeout=120) as http,
    ):
        ids = [upload(http, platform.shop, data)["id"] for data in models]
        wait_done(http, start_quote(http, platform.shop, ids[0]))  # warm up every layer
        started = time.perf_counter()
        urls = [start_quote(http, platform.shop, ids[i % len(ids)]) for i in range(jobs)]
        results = [wait_done(http, url) for url in urls]
        elapsed = time.perf_counter() - started
    failed = sum(1 for job in results if job["status"] != "done")
    rate = jobs / elapsed
    print(
        f"  {workers} quote worker{'s' if workers > 1 else ' '}: {jobs} jobs in "
        f"{elapsed:.1f} s = {rate:.2f} quotes/s  (failed {failed})"
    )
    return rate


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return 0


def descendants(root: int) -> set[int]:
    """`root` and every process below it."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
        children[parent].append(int(stat.parent.name))
    found, todo = set(), [root]
    while todo:
        found.add(pid := todo.pop())
        todo.extend(children[pid])
    return found


@dataclass
class Sample:
    at: float
    cpu: dict[int, tuple[str, float]]  # pid: (process name, CPU seconds so far)
    transactions: int

    def rates_since(self, before: "Sample") -> tuple[dict[str, float], float]:
        """(CPU seconds per second by process name, transactions per second) since `before`;
        a process that started in between counts from its start."""
        elapsed = self.at - before.at
        by_name: dict[str, float] = defaultdict(float)
        for pid, (name, spent) in self.cpu.items():
            by_name[name] += (spent - before.cpu.get(pid, (name, 0.0))[1]) / elapsed
        return dict(by_name), (self.transactions - before.transactions) / elapsed


class PlatformCpu:
    """CPU seconds spent by each process of a running platform, its Postgres backends
    included (as "postgres"), and the transactions committed in its database."""

    def __init__(self, platform: RunningPlatform) -> None:
        self.platform = platform
        url = platform.env["FABRIKA_DATABASE_URL"]
        self.database = url.rsplit("/", 1)[1]
        self.db = psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)

    def names(self) -> dict[int, str]:
        """pid: name, for every process `fabrika up` started and every Postgres backend of
        its database. A process without a pid file of its own is named by its parent's
        (HAProxy's worker, "gateway"), or else "fabrika up"."""
        named = {int(f.read_text()): f.stem for f in (self.platform.run_dir / "pids").glob("*.pid")}
        pids = {}
        for pid in sorted(descendants(self.platform.pid)):
            pids[pid] = named.get(pid) or named.get(parent_of(pid), "fabrika up")
        backends = self.db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
        ).fetchall()
        return pids | {pid: "postgres" for (pid,) in backends}

    def sample(self) -> Sample:
        spent = {pid: (name, cpu) for pid, name in self.names().items() if (cpu := cpu_s(pid))}
        self.db.execute("SELECT pg_stat_clear_snapshot()")
        (transactions,) = self.db.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (self.database,),
        ).fetchone()
        return Sample(time.monotonic(), spent, transactions)

    def close(self) -> None:
        self.db.close()


async def follow_jobs(shop: str, models: list[str], jobs: int) -> list[float]:
    """Quote jobs one after another, each followed by long poll: their durations."""
    seconds = []
    async with httpx.AsyncClient(timeout=60) as http:
        for i in range(jobs):
            item = {"material": "pla", "process": "fdm", "quantity": 1, "model_id": models[i % 4]}
            began = time.perf_counter()
            started = await http.post(f"{shop}/api/v1/quotes", json={"items": [item]})
            url = shop + started.json()["status_url"]
            state = "queued"
            while state in ("queued", "running"):
                state = (await http.get(url, params={"wait_s": 5})).json()["status"]
            assert state == "done", state
            seconds.append(time.perf_counter() - began)
    return sorted(seconds)


def cpu_per_job(jobs: int, idle_s: float = 15) -> None:
    overrides = {
        "FABRIKA_CACHE_ENABLED": "false",
        "FABRIKA_LOG_LEVEL": "WARNING",
        "FABRIKA_AUTOSCALE": "false",
    }
    with running_platform(overrides, scale="quote=1") as platform:
        with httpx.Client(timeout=60) as http:
            models = [
                upload(http, platform.shop, to_binary_stl(fine_mesh(60_000, size_mm=50 + i)))["id"]
                for i in range(4)
            ]
        asyncio.run(follow_jobs(platform.shop, models, 8))  # warm up every layer
        meter = PlatformCpu(platform)
        time.sleep(2)
        quiet = meter.sample()
        time.sleep(idle_s)
        busy = meter.sample()
        seconds = asyncio.run(follow_jobs(platform.shop, models, jobs))
        done = meter.sample()
        meter.close()
    p50, p95 = seconds[len(seconds) // 2], seconds[int(0.95 * (len(seconds) - 1))]
    print(
        "\nCPU per quote job (models of 60,000 triangles, caches off, one quote worker): "
        f"{jobs} jobs one after another in {done.at - busy.at:.1f} s, p50 {p50:.3f} s, "
        f"p95 {p95:.3f} s"
    )
    print_cost(quiet, busy, done, jobs)


def print_cost(quiet: Sample, busy: Sample, done: Sample, jobs: int) -> None:
    """Per job: CPU ms by process and transactions, as measured and less what idling
    costs in the same time (from the quiet sample to the busy one)."""
    idle, idle_transactions = busy.rates_since(quiet)
    working, transactions = done.rates_since(busy)
    per_job = (done.at - busy.at) / jobs
    print("  process        ms CPU per job   less idle   idle ms/s")
    rows = {
        name: (1000 * rate * per_job, 1000 * (rate - idle.get(name, 0.0)) * per_job)
        for name, rate in working.items()
    }
    for name, (spent, less_idle) in sorted(rows.items(), key=lambda row: -row[1][1]):
        if spent >= 0.5 or idle.get(name, 0.0) >= 0.001:
            print(f"  {name:<12} {spent:12.1f} {less_idle:13.1f} {1000 * idle.get(name, 0):11.1f}")
    total, total_less = (sum(row[i] for row in rows.values()) for i in (0, 1))
    print(f"  {'total':<12} {total:12.1f} {total_less:13.1f} {1000 * sum(idle.values()):11.1f}")
    print(
        f"  database transactions per job {transactions * per_job:.1f}, less idle "
        f"{(transactions - idle_transactions) * per_job:.1f} (idle {idle_transactions:.0f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--triangles", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--model-triangles", type=int, default=200_000)
    parser.add_argument("--cpu-jobs", type=int, default=150)
    parser.add_argument("--parts", default="million,throughput,cpu")
    args = parser.parse_args()
    parts = args.parts.split(",")
    if "million" in parts:
        million(args.triangles)
    if "throughput" in parts:
        models = [to_binary_stl(fine_mesh(args.model_triangles, size_mm=60 + i)) for i in range(4)]
        print(f"\nquote jobs for models of ~{args.model_triangles:,} triangles, caches off")
        one = throughput(1, models, args.jobs)
        two = throughput(2, models, args.jobs)
        print(f"  speed-up with two workers: × {two / one:.2f}")
    if "cpu" in parts:
        cpu_per_job(args.cpu_jobs)


if __name__ == "__main__":
    main()
