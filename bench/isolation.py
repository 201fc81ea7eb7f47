"""O4 measured: can a B2B flood slow the shop down? One platform, one run:

(a) baseline: shop traffic at a fixed open-loop rate (catalog reads, order submissions,
    status reads) and one partner well within its quota;
(b) the same, while several B2B accounts send 5x their quota and one source address sends
    as fast as it can.

Prints shop p50/p99 and errors in both and their ratio, B2B answers by status (429 against
5xx), the in-quota partner's p99, then what a request costs the platform's CPU: a served
B2B GET, one refused by its quota, one refused at the gateway; and the quota check itself,
A/B (the same GET on a plan that meters reads against one that does not).

Each kind of client connects from its own loopback address (127.0.0.x), as separate
clients would, so the gateway's per-source table sees them apart. CPU figures are the
platform's own processes (services, gateway, mail sink); Postgres and Redis serve other
work on this machine too, so Redis is shown apart and Postgres is left out (that makes a
served request look cheaper, so the ratios are conservative).

    .venv/bin/python bench/isolation.py [--phase-s 30] [--shop-rate 30]
"""

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
from probe import machine_speed_ms

from fabrika.platform.launcher import RunningPlatform, running_platform

DEMO_KEY = "fab_bench_" + uuid.uuid4().hex
ITEM = {"material": "pla", "process": "fdm", "quantity": 1, "dimensions_mm": [20, 20, 20]}
FLOOD_ACCOUNTS = 3
FLOOD_FACTOR = 5
SOURCE_FLOOD_CONNECTIONS = 8
COST_RATE = 100.0  # requests/s in the CPU cost phases
QUOTA_CACHE_S = 1.5  # a B2B instance caches an account (and its plan) this long


@dataclass
class Stream:
    """One kind of request, sent at a rate from one address; what came back."""

    label: str
    source: str
    method: str
    url: Callable[[], str]
    headers: Callable[[], dict[str, str]] = dict
    body: Callable[[], object] | None = None
    rate: float = 1.0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    def reset(self) -> None:
        self.statuses.clear()
        self.latencies_ms.clear()

    async def send_one(self, http: aiohttp.ClientSession) -> None:
        started = time.perf_counter()
        try:
            async with http.request(
                self.method,
                self.url(),
                headers=self.headers(),
                json=self.body() if self.body else None,
            ) as response:
                await response.read()
                status = str(response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            status = type(exc).__name__
        self.latencies_ms.append(1000 * (time.perf_counter() - started))
        self.statuses[status] += 1

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0

    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not status.startswith("2"))

    def row(self) -> str:
        answers = ", ".join(f"{status} {n}" for status, n in sorted(self.statuses.items()))
        return (
            f"    {self.label:<34} {sum(self.statuses.values()):>6} sent  "
            f"p50 {statistics.median(self.latencies_ms or [0]):>6.1f} ms  "
            f"p99 {self.percentile(99):>7.1f} ms  [{answers}]"
        )


def session(source: str) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(local_addr=(source, 0), limit=500)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15))


async def open_loop(stream: Stream, seconds: float, seed: int) -> None:
    """Poisson arrivals at the stream's rate, each sent whether or not the last answered."""
    pacing = random.Random(seed)
    async with session(stream.source) as http:
        sends = []
        start = time.monotonic()
        due = start
        while due - start < seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sends.append(asyncio.create_task(stream.send_one(http)))
            due += pacing.expovariate(stream.rate)
        await asyncio.gather(*sends)


async def closed_loop(stream: Stream, seconds: float, connections: int) -> None:
    """As fast as it can: `connections` loops, each sending when the last one answered."""
    stop_at = time.monotonic() + seconds
    async with session(stream.source) as http:

        async def loop() -> None:
            while time.monotonic() < stop_at:
                await stream.send_one(http)

        await asyncio.gather(*(loop() for _ in range(connections)))


async def run_streams(streams: list[Stream], seconds: float) -> None:
    for stream in streams:
        stream.reset()
    await asyncio.gather(*(open_loop(stream, seconds, seed) for seed, stream in enumerate(streams)))


def _flood_process(streams: list[Stream], seconds: float, results: mp.Queue) -> None:
    # The flood's clients stand for machines elsewhere: on this 2-core machine they get
    # only the CPU the platform leaves, so that what is measured is the platform's
    # isolation, not a load generator taking the platform's cores.
    os.nice(19)
    asyncio.run(run_streams(streams, seconds))
    results.put({s.label: (dict(s.statuses), s.latencies_ms) for s in streams})


WRK_COUNTS = """
counts = {}
function response(status, headers, body)
  local kind = tostring(status)
  if status == 429 then
    kind = body:find("quota%-exceeded") and "429 quota" or "429 gateway"
  end
  counts[kind] = (counts[kind] or 0) + 1
end
function setup(thread) table.insert(threads, thread) end
threads = {}
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for kind, n in pairs(thread:get("counts")) do io.write("count ", kind, "=", n, "\\n") end
  end
end
"""


def flat_out(url: str, key: str, seconds: float) -> subprocess.Popen[str]:
    """One source sending as fast as it can: wrk (C), at the lowest CPU priority."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_COUNTS)
    command = ["nice", "-n", "19", "wrk", "-t1", f"-c{SOURCE_FLOOD_CONNECTIONS}"]
    command += [f"-d{seconds:g}s", "-s", str(script), "-H", f"Authorization: Bearer {key}", url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def wrk_counts(process: subprocess.Popen[str]) -> Counter[str]:
    out, _ = process.communicate(timeout=120)
    counts: Counter[str] = Counter()
    for kind, n in re.findall(r"^count (.+)=(\d+)$", out, re.M):
        counts[kind] += int(n)
    return counts


async def flooded_phase(
    paced: list[Stream], flood: list[Stream], source: tuple[str, str], seconds: float
) -> Counter[str]:
    """`paced` measured here while `flood` runs in a process of its own and wrk sends
    flat out from one address; the flood's streams get what it saw, wrk's answers are
    returned."""
    results: mp.Queue = mp.Queue()
    flooding = mp.Process(target=_flood_process, args=(flood, seconds, results))
    flooding.start()
    wrk = flat_out(*source, seconds)
    await run_streams(paced, seconds)
    seen = results.get(timeout=seconds + 60)
    flooding.join(timeout=30)
    for stream in flood:
        statuses, latencies = seen[stream.label]
        stream.statuses, stream.latencies_ms = Counter(statuses), latencies
    return wrk_counts(wrk)


# The platform's CPU, from /proc.


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cpu_s(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def platform_cpu_s(run_dir: Path) -> float:
    """CPU seconds of every process the platform started and of their children (HAProxy's
    master forks its worker)."""
    roots = {int(f.read_text()) for f in (run_dir / "pids").glob("*.pid")}
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    for proc in Path("/proc").glob("[0-9]*"):
        if (fields := _stat(int(proc.name))) is not None:
            parents[int(proc.name)] = int(fields[1])
            spent[int(proc.name)] = _cpu_s(fields)

    def ours(pid: int) -> bool:
        while pid > 1:
            if pid in roots:
                return True
            pid = parents.get(pid, 1)
        return False

    return sum(cpu for pid, cpu in spent.items() if ours(pid))


def gateway_cpu_s(run_dir: Path) -> float:
    """CPU seconds of HAProxy: its master and the worker it forks."""
    master = int((run_dir / "pids" / "gateway.pid").read_text())
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        fields = _stat(int(proc.name))
        if fields is not None and (int(proc.name) == master or int(fields[1]) == master):
            total += _cpu_s(fields)
    return total


def b2b_cpu_s(run_dir: Path) -> float:
    """CPU seconds of the B2B instances alone: where the quota check runs."""
    pids = (int(f.read_text()) for f in (run_dir / "pids").glob("b2b-*.pid"))
    return sum(_cpu_s(fields) for pid in pids if (fields := _stat(pid)) is not None)


def redis_cpu_s() -> float:
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() != "redis-server":
                continue
        except OSError:
            continue
        if (fields := _stat(int(proc.name))) is not None:
            total += _cpu_s(fields)
    return total


async def cpu_per_request(
    platform: RunningPlatform, stream: Stream, seconds: float, idle_cpu_per_s: float
) -> tuple[float, float, float, Stream]:
    """CPU ms per request of `stream` sent at its rate: the platform's (less the idle
    platform's own), the B2B instances' alone, Redis's."""
    stream.reset()
    run_dir = platform.run_dir
    before = platform_cpu_s(run_dir), b2b_cpu_s(run_dir), redis_cpu_s()
    began = time.monotonic()
    await open_loop(stream, seconds, 99)
    elapsed = time.monotonic() - began
    after = platform_cpu_s(run_dir), b2b_cpu_s(run_dir), redis_cpu_s()
    sent = sum(stream.statuses.values())
    platform_ms = 1000 * (after[0] - before[0] - idle_cpu_per_s * elapsed) / sent
    return (
        platform_ms,
        1000 * (after[1] - before[1]) / sent,
        1000 * (after[2] - before[2]) / sent,
        stream,
    )


# Accounts, through the CRM's internal API (as the operators' API does).


def crm(platform: RunningPlatform) -> str:
    return f"{platform.url('internal')}/crm/v1"


def put_plan(platform: RunningPlatform, name: str, policies: dict[str, tuple[float, int]]) -> None:
    plan = {
        "name": name,
        "description": "bench/isolation.py",
        "max_quote_jobs": 5,
        "policies": {
            kind: {"rate_per_s": rate, "burst": burst} for kind, (rate, burst) in policies.items()
        },
    }
    httpx.put(f"{crm(platform)}/plans/{name}", json=plan, timeout=10).raise_for_status()


def new_account(platform: RunningPlatform, plan: str) -> str:
    """A new account on `plan` and a key for it."""
    suffix = uuid.uuid4().hex[:8]
    account = {"name": f"Bench {suffix}", "email": f"bench-{suffix}@example.com", "plan": plan}
    made = (
        httpx.post(f"{crm(platform)}/accounts", json=account, timeout=10).raise_for_status().json()
    )
    key = httpx.post(
        f"{crm(platform)}/accounts/{made['id']}/keys", json={"name": "bench"}, timeout=10
    ).raise_for_status()
    return key.json()["api_key"]


def bearer(key: str, keyed: bool = False) -> Callable[[], dict[str, str]]:
    def headers() -> dict[str, str]:
        sent = {"Authorization": f"Bearer {key}"}
        if keyed:
            sent["Idempotency-Key"] = str(uuid.uuid4())
        return sent

    return headers


def place_orders(platform: RunningPlatform, key: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        answer = httpx.post(
            f"{platform.b2b}/v1/orders",
            json={"items": [ITEM]},
            headers=bearer(key, True)(),
            timeout=30,
        )
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    return ids


def shop_orders(platform: RunningPlatform, count: int) -> list[str]:
    return [
        httpx.post(f"{platform.shop}/api/v1/orders", json=shop_order(), timeout=30)
        .raise_for_status()
        .json()["id"]
        for _ in range(count)
    ]


def shop_order() -> dict[str, object]:
    who = uuid.uuid4().hex[:10]
    return {"customer": {"email": f"bench-{who}@example.com", "name": "Bench"}, "items": [ITEM]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase-s", type=float, default=30.0)
    parser.add_argument("--shop-rate", type=float, default=30.0, help="shop requests/s")
    parser.add_argument("--cost-s", type=float, default=10.0)
    args = parser.parse_args()
    print("\nThe shop under a B2B flood (bench/isolation.py)")
    print(f"  machine speed before: {machine_speed_ms():.0f} ms for a fixed loop (less is faster)")
    overrides = {"FABRIKA_DEMO_B2B_KEY": DEMO_KEY, "FABRIKA_LOG_LEVEL": "WARNING"}
    with running_platform(overrides) as platform:
        asyncio.run(measure(platform, args))
    print(f"  machine speed after: {machine_speed_ms():.0f} ms for the same loop")


async def measure(platform: RunningPlatform, args: argparse.Namespace) -> None:
    shop, b2b = platform.shop, platform.b2b
    put_plan(platform, "starter-bench", {"reads": (10, 20), "writes": (2, 5)})
    put_plan(platform, "metered", {"reads": (10_000, 20_000), "writes": (10_000, 20_000)})
    put_plan(platform, "unmetered", {"writes": (10_000, 20_000)})
    put_plan(platform, "closed", {"reads": (0.01, 1)})
    flood_keys = [new_account(platform, "starter-bench") for _ in range(FLOOD_ACCOUNTS)]
    source_key = new_account(platform, "standard")
    keys = {plan: new_account(platform, plan) for plan in ("metered", "unmetered", "closed")}
    time.sleep(QUOTA_CACHE_S)
    partner_orders = place_orders(platform, DEMO_KEY, 5)
    placed = shop_orders(platform, 5)
    orders = {plan: place_orders(platform, key, 1)[0] for plan, key in keys.items()}

    rate = args.shop_rate
    paced = [
        Stream(
            "shop: catalog", "127.0.0.1", "GET", lambda: f"{shop}/api/v1/catalog", rate=0.6 * rate
        ),
        Stream(
            "shop: order status",
            "127.0.0.1",
            "GET",
            lambda: f"{shop}/api/v1/orders/{random.choice(placed)}",
            rate=0.3 * rate,
        ),
        Stream(
            "shop: place an order",
            "127.0.0.1",
            "POST",
            lambda: f"{shop}/api/v1/orders",
            body=shop_order,
            rate=0.1 * rate,
        ),
        Stream(
            "partner in quota: list",
            "127.0.0.2",
            "GET",
            lambda: f"{b2b}/v1/orders?limit=5",
            bearer(DEMO_KEY),
            rate=5,
        ),
        Stream(
            "partner in quota: read an order",
            "127.0.0.2",
            "GET",
            lambda: f"{b2b}/v1/orders/{random.choice(partner_orders)}",
            bearer(DEMO_KEY),
            rate=3,
        ),
        Stream(
            "partner in quota: place an order",
            "127.0.0.2",
            "POST",
            lambda: f"{b2b}/v1/orders",
            bearer(DEMO_KEY, keyed=True),
            body=lambda: {"items": [ITEM]},
            rate=1,
        ),
    ]
    flood = [
        stream
        for number, key in enumerate(flood_keys)
        for stream in (
            Stream(
                f"flood {number + 1}: list at {FLOOD_FACTOR}x quota",
                f"127.0.0.{10 + number}",
                "GET",
                lambda: f"{b2b}/v1/orders?limit=5",
                bearer(key),
                rate=FLOOD_FACTOR * 10,
            ),
            Stream(
                f"flood {number + 1}: orders at {FLOOD_FACTOR}x quota",
                f"127.0.0.{10 + number}",
                "POST",
                lambda: f"{b2b}/v1/orders",
                bearer(key, keyed=True),
                body=lambda: {"items": [ITEM]},
                rate=FLOOD_FACTOR * 2,
            ),
        )
    ]
    await run_streams(paced, args.phase_s)
    baseline = {
        s.label: (statistics.median(s.latencies_ms), s.percentile(99), s.errors()) for s in paced
    }
    print(f"\n  (a) baseline, {args.phase_s:.0f} s, shop {rate:.0f} requests/s:")
    for stream in paced:
        print(stream.row())
    source = flooded_phase(paced, flood, (f"{b2b}/v1/orders?limit=5", source_key), args.phase_s)
    flat_out_answers = await source
    print(f"\n  (b) the same while {FLOOD_ACCOUNTS} accounts flood and one source sends flat out:")
    for stream in paced + flood:
        print(stream.row())
    answers = ", ".join(f"{kind} {n}" for kind, n in sorted(flat_out_answers.items()))
    sent = sum(flat_out_answers.values())
    label = f"one source flat out (wrk, {SOURCE_FLOOD_CONNECTIONS} connections)"
    print(f"    {label:<34} {sent:>6} sent  [{answers}]")
    print("\n  under the flood / baseline:")
    for stream in paced:
        p50, p99, errors = baseline[stream.label]
        p50_now, p99_now = statistics.median(stream.latencies_ms), stream.percentile(99)
        print(
            f"    {stream.label:<34} p50 x {p50_now / p50:.2f}, p99 x {p99_now / p99:.2f}, "
            f"errors {errors} -> {stream.errors()}"
        )
    b2b_answers: Counter[str] = Counter()
    for stream in [s for s in paced if s.label.startswith("partner")] + flood:
        b2b_answers.update(stream.statuses)
    b2b_answers.update({kind.split()[0]: n for kind, n in flat_out_answers.items()})
    server_errors = sum(n for status, n in b2b_answers.items() if status.startswith("5"))
    answers = dict(sorted(b2b_answers.items()))
    print(f"    B2B answers under the flood: {answers}; 5xx: {server_errors}")

    await costs(platform, keys, orders, args.cost_s)


def cost_row(label: str, costs: tuple[float, float, float], stream: Stream) -> None:
    platform_ms, b2b_ms, redis_ms = costs
    print(
        f"    {label:<34} {platform_ms:6.2f} ms (B2B {b2b_ms:.2f}, Redis {redis_ms:.2f})  "
        f"{dict(stream.statuses)}"
    )


async def costs(
    platform: RunningPlatform,
    keys: dict[str, str],
    orders: dict[str, str],
    seconds: float,
) -> None:
    """CPU per request: served, refused by its quota, refused at the gateway; and the
    quota check, the same GET on a metered plan against an unmetered one."""
    await asyncio.sleep(2)
    before, began = platform_cpu_s(platform.run_dir), time.monotonic()
    await asyncio.sleep(seconds)
    idle = (platform_cpu_s(platform.run_dir) - before) / (time.monotonic() - began)
    print(
        f"\n  CPU per request, the platform's (of it the B2B instances', and Redis's apart); "
        f"{COST_RATE:.0f} requests/s for {seconds:.0f} s each, the idle platform's "
        f"{1000 * idle:.0f} ms/s taken off:"
    )

    def read(plan: str, source: str) -> Stream:
        url = f"{platform.b2b}/v1/orders/{orders[plan]}"
        return Stream(plan, source, "GET", lambda: url, bearer(keys[plan]), rate=COST_RATE)

    spent: dict[str, list[tuple[float, float, float]]] = {"metered": [], "unmetered": []}
    for _ in range(2):  # interleaved, so that a drift of the machine's speed hits both
        for plan, label, source in (
            ("metered", "served GET, reads metered", "127.0.0.30"),
            ("unmetered", "served GET, reads not metered", "127.0.0.31"),
        ):
            *cost, stream = await cpu_per_request(platform, read(plan, source), seconds, idle)
            spent[plan].append((cost[0], cost[1], cost[2]))
            cost_row(label, spent[plan][-1], stream)
    *refusal, stream = await cpu_per_request(platform, read("closed", "127.0.0.32"), seconds, idle)
    cost_row("refused by its quota (429)", (refusal[0], refusal[1], refusal[2]), stream)

    before_gateway = gateway_cpu_s(platform.run_dir)
    flood = wrk_counts(
        flat_out(f"{platform.b2b}/v1/orders/{orders['closed']}", keys["closed"], seconds)
    )
    # An upper bound: HAProxy's CPU over every request wrk sent, passed on or not.
    at_gateway = 1000 * (gateway_cpu_s(platform.run_dir) - before_gateway) / sum(flood.values())
    print(f"    {'refused at the gateway (429)':<34} {at_gateway:6.3f} ms (HAProxy)  {dict(flood)}")

    served = statistics.mean(cost[0] for cost in spent["metered"])
    print(f"    refused by its quota / served: x {refusal[0] / served:.2f}")
    print(f"    refused at the gateway / served: x {at_gateway / served:.3f}")
    b2b_ms, redis_ms = (
        statistics.mean(m[i] for m in spent["metered"])
        - statistics.mean(u[i] for u in spent["unmetered"])
        for i in (1, 2)
    )
    print(
        f"    the quota check (metered - not metered): {b2b_ms:+.2f} ms of the B2B "
        f"instance's CPU, {redis_ms:+.2f} ms of Redis's"
    )


if __name__ == "__main__":
    main()
