"""Load that ramps up and down, and the platform scaling with it: a timeline.

Starts the platform with its autoscaler on, then runs phases of concurrent clients that
each request quote jobs for CPU-bound models through the shop entry and wait for them.
Every 5 s it prints the instances per service (from the operators' entry), quote jobs/s,
their p95 time and errors; at the end the unloaded p95 against the p95 once scaled.

    .venv/bin/python bench/ramp.py [--phase-s 30] [--triangles 60000]
"""

import argparse
import asyncio
import time

import httpx

from fabrika.mes.geometry import fine_mesh, to_binary_stl
from fabrika.platform.launcher import running_platform

PHASES = (1, 4, 8, 4, 1, 1)  # concurrent clients per phase


class Recorder:
    def __init__(self) -> None:
        self.samples: list[tuple[float, float, bool]] = []  # (finished at, seconds, ok)

    def window(self, since: float) -> tuple[int, float, int]:
        recent = [s for s in self.samples if s[0] >= since]
        times = sorted(s[1] for s in recent if s[2])
        p95 = times[int(0.95 * (len(times) - 1))] if times else float("nan")
        return len(recent), p95, sum(1 for s in recent if not s[2])


async def quote_once(http: httpx.AsyncClient, shop: str, model_id: str) -> bool:
    item = {"material": "pla", "process": "fdm", "quantity": 1, "model_id": model_id}
    started = await http.post(f"{shop}/api/v1/quotes", json={"items": [item]})
    if started.status_code != 202:
        return False
    url = shop + started.json()["status_url"]
    while True:
        job = (await http.get(url, params={"wait_s": 5})).json()
        if job["status"] not in ("queued", "running"):
            return job["status"] == "done"


async def client(http, shop, models, recorder, stop) -> None:
    i = 0
    while not stop.is_set():
        began = time.perf_counter()
        try:
            ok = await quote_once(http, shop, models[i % len(models)])
        except httpx.HTTPError:
            ok = False
        recorder.samples.append((time.monotonic(), time.perf_counter() - began, ok))
        i += 1


async def ramp(platform, models: list[str], phase_s: float) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient(timeout=30) as http:

        async def report(started: float, clients: int) -> None:
            now = time.monotonic()
            count, p95, errors = recorder.window(now - 5)
            scale = (await http.get(f"{platform.ops}/api/v1/ops/autoscaler")).json()
            instances = " ".join(f"{s}={n}" for s, n in scale["instances"].items())
            print(
                f"  t={now - started:5.0f}s clients={clients:2d}  {count / 5:5.2f} jobs/s  "
                f"p95 {p95:6.2f} s  errors {errors}   {instances}",
                flush=True,
            )

        started = time.monotonic()
        phase_p95 = []
        for clients in PHASES:
            stop = asyncio.Event()
            phase_start = time.monotonic()
            tasks = [
                asyncio.create_task(client(http, platform.shop, models, recorder, stop))
                for _ in range(clients)
            ]
            while time.monotonic() - phase_start < phase_s:
                await asyncio.sleep(5)
                await report(started, clients)
            stop.set()
            await asyncio.gather(*tasks)
            tail = [s[1] for s in recorder.samples if s[0] >= phase_start + phase_s / 2 and s[2]]
            tail.sort()
            phase_p95.append((clients, tail[int(0.95 * (len(tail) - 1))] if tail else float("nan")))
    unloaded = phase_p95[0][1]
    print("\n  p95 of quote jobs in the second half of each phase (after scaling reacted):")
    for clients, p95 in phase_p95:
        print(f"    {clients:2d} clients: {p95:6.2f} s  ({p95 / unloaded:4.2f} × unloaded)")
    total_errors = sum(1 for s in recorder.samples if not s[2])
    print(f"  requests {len(recorder.samples)}, errors {total_errors}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phase-s", type=float, default=30)
    parser.add_argument("--triangles", type=int, default=60_000)
    args = parser.parse_args()
    overrides = {
        "FABRIKA_AUTOSCALE": "true",
        "FABRIKA_CACHE_ENABLED": "false",
        "FABRIKA_LOG_LEVEL": "WARNING",
    }
    with running_platform(overrides) as platform, httpx.Client(timeout=60) as http:
        models = []
        for i in range(4):
            data = to_binary_stl(fine_mesh(args.triangles, size_mm=50 + i))
            response = http.post(
                f"{platform.shop}/api/v1/models",
                content=data,
                headers={"Content-Type": "model/stl"},
            )
            models.append(response.json()["id"])
        print(
            f"\nramp of quote jobs (models of ~{args.triangles:,} triangles, caches off), "
            f"phases of {args.phase_s:g} s with {PHASES} clients"
        )
        asyncio.run(ramp(platform, models, args.phase_s))


if __name__ == "__main__":
    main()
