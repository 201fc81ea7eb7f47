"""Quoting real models: one million triangles end to end, and one quote worker against two.

Part 1 times, for a generated closed mesh of about 1,000,000 triangles (50 MB binary STL):
parsing, measuring and analysing it in-process, then through the gateway the upload
(parse + measure) and the quote job (analysis + pricing), first computed, then repeated
(answered from the caches).

Part 2 starts the platform with one quote worker, then with two (caches off, so every job
analyses its model), submits the same batch of quote jobs for distinct CPU-bound models
and prints quotes/s and the speed-up.

    .venv/bin/python bench/quotes.py [--triangles 1000000] [--jobs 24] [--model-triangles 200000]
"""

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fabrika.mes.analysis import analyse
from fabrika.mes.geometry import fine_mesh, measure, parse_stl, to_binary_stl
from fabrika.platform.launcher import running_platform

STL = {"Content-Type": "model/stl"}


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--triangles", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--model-triangles", type=int, default=200_000)
    args = parser.parse_args()
    million(args.triangles)
    models = [to_binary_stl(fine_mesh(args.model_triangles, size_mm=60 + i)) for i in range(4)]
    print(f"\nquote jobs for models of ~{args.model_triangles:,} triangles, caches off")
    one = throughput(1, models, args.jobs)
    two = throughput(2, models, args.jobs)
    print(f"  speed-up with two workers: × {two / one:.2f}")


if __name__ == "__main__":
    main()
