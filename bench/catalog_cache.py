"""Catalog reads through the gateway: Redis cache-aside against no cache, side by side.

Starts the platform twice on free ports (FABRIKA_CACHE_ENABLED true, then false), reads
`GET /api/v1/catalog` through the shop entry with the same load from wrk, and prints
requests/s, p50 and p99 for both, the p50 ratio, and the steady-state hit ratio taken from
the MES's own /metrics. Also shows ETag revalidation (304) against a full read.

    .venv/bin/python bench/catalog_cache.py [--clients 16] [--seconds 10]
"""

import argparse
import re
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import LoadResult, wrk

from fabrika.platform.launcher import running_platform


def cache_counts(platform) -> dict[str, float]:
    """Hit and miss counters summed over the MES instances' /metrics."""
    counts = {"hit": 0.0, "miss": 0.0}
    pattern = re.compile(
        r'fabrika_cache_requests_total\{cache="mes-catalog",result="(hit|miss)"\} ([0-9.e+]+)'
    )
    for port in platform.service_ports:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            continue
        if "fabrika_http_requests" in text and 'service="mes"' in text:
            for result, value in pattern.findall(text):
                counts[result] += float(value)
    return counts


def measure(platform, label: str, clients: int, seconds: float) -> list[LoadResult]:
    url = f"{platform.shop}/api/v1/catalog"
    wrk("warm-up", url, clients=clients, seconds=1)
    full = wrk(label, url, clients=clients, seconds=seconds)
    etag = httpx.get(url).headers["etag"]
    revalidated = wrk(
        f"{label}, 304", url, clients=clients, seconds=seconds, header=f"If-None-Match: {etag}"
    )
    return [full, revalidated]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    results: dict[str, list[LoadResult]] = {}
    ratio = None
    for enabled in ("true", "false"):
        label = "cached (Redis)" if enabled == "true" else "uncached (Postgres)"
        with running_platform(
            {"FABRIKA_CACHE_ENABLED": enabled, "FABRIKA_LOG_LEVEL": "WARNING"}, scale="mes=1"
        ) as platform:
            before = cache_counts(platform)
            results[enabled] = measure(platform, label, args.clients, args.seconds)
            after = cache_counts(platform)
            if enabled == "true":
                hits, misses = after["hit"] - before["hit"], after["miss"] - before["miss"]
                ratio = hits / max(hits + misses, 1)
    print(f"\ncatalog reads through the gateway, {args.clients} clients, {args.seconds:g} s each")
    for rows in results.values():
        for row in rows:
            print("  " + row.row())
    cached, uncached = results["true"][0], results["false"][0]
    print(
        f"  p50 cached / uncached = {cached.percentile(50) / uncached.percentile(50):.2f}"
        f"   throughput × {cached.rate / uncached.rate:.2f}"
    )
    print(f"  steady-state catalog hit ratio = {ratio:.4f}")


if __name__ == "__main__":
    main()
