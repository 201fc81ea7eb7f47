"""Quote jobs arriving at a rate that ramps up and down, and the platform scaling with it.

First, what the quote workers can do on this machine: a platform with one quote worker,
then one with as many as the autoscaler may start (autoscaler off), each kept busy with a
window of outstanding jobs; completions per second are their capacities.

Then the platform with its autoscaler on, and OPEN-loop load: quote jobs for CPU-bound
models (uploaded STL, caches off) arrive at random (Poisson) at a target rate per phase,
each started whatever became of the others, as customers would. Closed-loop clients would
slow down with the platform and hide it; here a platform that falls behind shows it as
latency and a backlog. The peak lies between the two capacities (--peak, 0.7: some 80%
of the scaled capacity, so the MES API's instances scale too, not only its quote
workers): more than one worker serves, less than the scaled platform serves. Phases
last a minute: adding a quote worker takes the autoscaler 5-20 s here (a round, the
start), so each phase's second half comes after it reacted.

Every 5 s a line: instances per service (from the operators' entry), jobs/s offered and
completed, p95 of the jobs completed, jobs in flight, errors, and the CPU in cores used by
the platform (its processes and Postgres backends), by this load generator and by
anything else on the machine (another benchmark skews the figures). At the end, the
unloaded p95 (all of the first, quiet phase) against the p95 of the jobs offered in the
second half of each phase, once scaling reacted, as ratios, and the errors in total.

    .venv/bin/python bench/ramp.py [--phase-s 60] [--triangles 60000] [--peak 0.7]
                                   [--capacity-s 20] [--capacities ONE,SCALED]
"""

import argparse
import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
from quotes import PlatformCpu, Sample

from fabrika.mes.geometry import fine_mesh, to_binary_stl
from fabrika.platform.autoscaling import load_policies
from fabrika.platform.launcher import RunningPlatform, running_platform

# Each phase's arrival rate as a share of the peak: quiet, up, peak, down, quiet, quiet.
SHAPE = (1 / 6, 1 / 2, 1, 1 / 2, 1 / 6, 1 / 6)
WINDOW_S = 5.0
JOB_TIMEOUT_S = 60.0
OVERRIDES = {"FABRIKA_CACHE_ENABLED": "false", "FABRIKA_LOG_LEVEL": "WARNING"}
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Job:
    offered_at: float
    finished_at: float | None = None
    ok: bool = False
    error: str = ""  # why it failed: what the platform answered, or what went wrong

    @property
    def seconds(self) -> float:
        assert self.finished_at is not None
        return self.finished_at - self.offered_at


def p95(jobs: list[Job]) -> float:
    times = sorted(job.seconds for job in jobs if job.ok)
    return times[int(0.95 * (len(times) - 1))] if times else float("nan")


async def quote_job(http: httpx.AsyncClient, shop: str, model_id: str, job: Job) -> None:
    """Ask for a quote and follow the job (long poll) until it ends: ok when done."""
    item = {"material": "pla", "process": "fdm", "quantity": 1, "model_id": model_id}
    try:
        async with asyncio.timeout(JOB_TIMEOUT_S):
            started = await http.post(f"{shop}/api/v1/quotes", json={"items": [item]})
            if started.status_code != 202:
                job.error = f"POST {started.status_code} {started.text[:120]}"
            else:
                url = shop + started.json()["status_url"]
                state = "queued"
                while state in ("queued", "running"):
                    answer = await http.get(url, params={"wait_s": 5})
                    state = answer.json().get("status") if answer.status_code == 200 else None
                job.ok = state == "done"
                if not job.ok:
                    job.error = f"GET {answer.status_code} {answer.text[:120]}"
    except (httpx.HTTPError, ValueError, TimeoutError) as exc:
        job.error = repr(exc)
    job.finished_at = time.monotonic()


class Load:
    """Quote jobs for the uploaded models, and what became of each."""

    def __init__(self, http: httpx.AsyncClient, shop: str, models: list[str]) -> None:
        self.http, self.shop, self.models = http, shop, models
        self.jobs: list[Job] = []
        self.tasks: set[asyncio.Task] = set()
        self.random = random.Random(7)

    def start(self) -> Job:
        """Start a job in the background."""
        job = Job(time.monotonic())
        self.jobs.append(job)
        task = asyncio.create_task(quote_job(self.http, self.shop, self.next_model(), job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    def next_model(self) -> str:
        return self.models[len(self.jobs) % len(self.models)]

    async def offer(self, rate: float, seconds: float) -> None:
        """Open loop: Poisson arrivals at `rate` jobs/s for `seconds`, none waiting for
        another to end."""
        end = time.monotonic() + seconds
        while (now := time.monotonic()) < end:
            await asyncio.sleep(min(self.random.expovariate(rate), end - now))
            if time.monotonic() < end:
                self.start()

    async def keep_outstanding(self, window: int, seconds: float) -> float:
        """Closed loop: `window` jobs outstanding for `seconds`; completed jobs/s."""
        began = time.monotonic()
        end = began + seconds

        async def client() -> None:
            while time.monotonic() < end:
                job = Job(time.monotonic())
                self.jobs.append(job)
                await quote_job(self.http, self.shop, self.next_model(), job)

        await asyncio.gather(*(client() for _ in range(window)))
        return sum(1 for job in self.finished(began, end) if job.ok) / seconds

    async def warm_up(self, rate: float = 0.0) -> None:
        """Jobs first, not counted, so that every process has its connections and code
        warm: a few one after another, then ten seconds at `rate` if given."""
        for _ in range(4):
            self.start()
            await self.finish()
        if rate:
            await self.offer(rate, 10)
            await self.finish()
        self.jobs.clear()

    async def finish(self) -> None:
        await asyncio.gather(*self.tasks)

    def finished(self, since: float, until: float = float("inf")) -> list[Job]:
        return [j for j in self.jobs if j.finished_at and since <= j.finished_at < until]

    def offered(self, since: float, until: float = float("inf")) -> list[Job]:
        return [j for j in self.jobs if since <= j.offered_at < until]


def upload_models(platform: RunningPlatform, triangles: int) -> list[str]:
    with httpx.Client(timeout=60) as http:
        models = []
        for i in range(4):
            data = to_binary_stl(fine_mesh(triangles, size_mm=50 + i))
            response = http.post(
                f"{platform.shop}/api/v1/models",
                content=data,
                headers={"Content-Type": "model/stl"},
            )
            response.raise_for_status()
            models.append(response.json()["id"])
    return models


def capacity(workers: int, triangles: int, seconds: float) -> float:
    """Jobs/s that `workers` quote workers complete with the autoscaler off, kept busy."""
    overrides = {**OVERRIDES, "FABRIKA_AUTOSCALE": "false"}
    with running_platform(overrides, scale=f"quote={workers}") as platform:
        models = upload_models(platform, triangles)

        async def measure() -> float:
            async with httpx.AsyncClient(timeout=30) as http:
                load = Load(http, platform.shop, models)
                await load.warm_up()
                return await load.keep_outstanding(4 * workers + 4, seconds)

        return asyncio.run(measure())


def machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy, all cores together."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / TICK


class CpuShares:
    """Cores used between two readings by the platform, by this load generator (this
    process) and by anything else on the machine."""

    def __init__(self, platform: RunningPlatform) -> None:
        self.meter = PlatformCpu(platform)
        self.last = self.now()

    def now(self) -> tuple[Sample, float, float]:
        return self.meter.sample(), sum(os.times()[:2]), machine_busy_s()

    def read(self) -> tuple[float, float, float]:
        (sample0, own0, busy0), (sample1, own1, busy1) = self.last, self.now()
        self.last = (sample1, own1, busy1)
        elapsed = sample1.at - sample0.at
        platform = sum(sample1.rates_since(sample0)[0].values())
        load = (own1 - own0) / elapsed
        return platform, load, max(0.0, (busy1 - busy0) / elapsed - platform - load)

    def close(self) -> None:
        self.meter.close()


async def report(
    http: httpx.AsyncClient, platform: RunningPlatform, load: Load, cpu: CpuShares, **line
) -> dict[str, int]:
    """Print the last window's line; the instances per service."""
    now = time.monotonic()
    done = load.finished(now - WINDOW_S)
    scale = (await http.get(f"{platform.ops}/api/v1/ops/autoscaler")).json()
    instances = " ".join(f"{s}={n}" for s, n in scale["instances"].items())
    in_flight = sum(1 for job in load.jobs if job.finished_at is None)
    used, mine, others = cpu.read()
    print(
        f"  t={line['t']:4.0f}s  target {line['rate']:5.2f}/s  offered "
        f"{len(load.offered(now - WINDOW_S)) / WINDOW_S:5.2f}/s  completed "
        f"{sum(1 for j in done if j.ok) / WINDOW_S:5.2f}/s  p95 {p95(done):5.2f} s  "
        f"in flight {in_flight:3d}  errors {sum(1 for j in done if not j.ok)}  "
        f"cpu {used:3.1f}+{mine:3.1f}+{others:3.1f}  {instances}",
        flush=True,
    )
    return scale["instances"]


@dataclass
class Ramp:
    """What a ramp run saw."""

    rates: list[float]
    phase_s: float
    began: float  # time.monotonic() at the first phase
    jobs: list[Job]
    instances: list[dict[str, int]]  # per service, at each line
    decisions: list[dict]  # the autoscaler's, as the operators' entry lists them

    def unloaded_p95(self) -> float:
        """All of the first, quiet phase: nothing to react to there."""
        return p95([j for j in self.jobs if j.offered_at < self.began + self.phase_s])

    def second_half_p95s(self) -> list[float]:
        """Per phase, the jobs that arrived in its second half, whenever they ended."""
        halves = [self.began + (i + 0.5) * self.phase_s for i in range(len(self.rates))]
        return [
            p95([j for j in self.jobs if half <= j.offered_at < half + self.phase_s / 2])
            for half in halves
        ]


async def ramp(
    platform: RunningPlatform, models: list[str], rates: list[float], phase_s: float
) -> Ramp:
    """The phases in turn, a line every WINDOW_S."""
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        load = Load(http, platform.shop, models)
        await load.warm_up(rates[0])
        began = time.monotonic()

        async def offer_all() -> None:
            for rate in rates:
                await load.offer(rate, phase_s)

        offering = asyncio.create_task(offer_all())
        cpu = CpuShares(platform)
        instances = []
        try:
            for tick in range(1, int(len(rates) * phase_s / WINDOW_S) + 1):
                await asyncio.sleep(max(0.0, began + tick * WINDOW_S - time.monotonic()))
                rate = rates[min(int(tick * WINDOW_S / phase_s - 1e-9), len(rates) - 1)]
                line = {"t": tick * WINDOW_S, "rate": rate}
                instances.append(await report(http, platform, load, cpu, **line))
        finally:
            cpu.close()
        await offering
        await load.finish()
        autoscaler = (await http.get(f"{platform.ops}/api/v1/ops/autoscaler")).json()
    return Ramp(rates, phase_s, began, load.jobs, instances, autoscaler["decisions"])


def print_summary(run: Ramp) -> None:
    print("\n  the autoscaler's changes (metric: requests in flight, or jobs, per instance):")
    wall_began = time.time() - (time.monotonic() - run.began)
    for decision in run.decisions:
        if (at := decision["at"] - wall_began) >= 0:
            print(
                f"    t={at:4.0f}s  {decision['service']} {decision['current']} → "
                f"{decision['desired']} ({decision['reason']}, metric {decision['metric']:.2f})"
            )
    for service in run.instances[0]:
        counts = [line[service] for line in run.instances]
        steps = [n for i, n in enumerate(counts) if i == 0 or n != counts[i - 1]]
        print(f"  {service} instances: {' → '.join(map(str, steps))}")
    unloaded = run.unloaded_p95()
    print(
        f"\n  unloaded p95 (the whole first phase) {unloaded:.2f} s; p95 of the jobs offered "
        "in each phase's second half:"
    )
    for rate, tail in zip(run.rates, run.second_half_p95s(), strict=True):
        print(f"    {rate:5.2f} jobs/s: {tail:5.2f} s  ({tail / unloaded:4.2f} × unloaded)")
    failed = [job for job in run.jobs if not job.ok]
    print(f"  jobs {len(run.jobs)}, errors {len(failed)}; load average {os.getloadavg()[0]:.1f}")
    for reason, count in Counter(job.error for job in failed).most_common():
        print(f"    {count} × {reason}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase-s", type=float, default=60)
    parser.add_argument("--triangles", type=int, default=60_000)
    parser.add_argument(
        "--peak", type=float, default=0.7, help="between one worker (0) and all of them (1)"
    )
    parser.add_argument("--capacity-s", type=float, default=20)
    parser.add_argument("--capacities", default="", help="ONE,SCALED jobs/s: skip measuring")
    args = parser.parse_args()
    _, policies = load_policies()
    most = policies["quote"][0].maximum
    print(f"\nquote jobs for models of ~{args.triangles:,} triangles, caches off")
    if args.capacities:
        one, scaled = map(float, args.capacities.split(","))
    else:
        one = capacity(1, args.triangles, args.capacity_s)
        scaled = capacity(most, args.triangles, args.capacity_s)
    print(
        f"  kept busy: one quote worker serves {one:.2f} jobs/s; {most} (the autoscaler's "
        f"maximum) serve {scaled:.2f} jobs/s"
    )
    peak = one + args.peak * (scaled - one)
    rates = [round(share * peak, 2) for share in SHAPE]
    print(
        f"  open loop, phases of {args.phase_s:g} s at {rates} jobs/s: the peak is "
        f"{peak / one:.2f} × one worker, {peak / scaled:.0%} of {most}\n"
        "  (cpu: cores used by the platform + this load generator + anything else)"
    )
    with running_platform({**OVERRIDES, "FABRIKA_AUTOSCALE": "true"}) as platform:
        models = upload_models(platform, args.triangles)
        run = asyncio.run(ramp(platform, models, rates, args.phase_s))
    print_summary(run)


if __name__ == "__main__":
    main()
