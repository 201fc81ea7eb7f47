"""A small closed-loop HTTP load generator: N concurrent clients for a fixed time."""

import asyncio
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx


@dataclass
class LoadResult:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        from_wrk = getattr(self, "wrk_percentiles", None)
        if from_wrk:
            return from_wrk[int(p)]
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def row(self) -> str:
        return (
            f"{self.label:<28} {self.rate:>9.0f} req/s  p50 {self.percentile(50):>7.2f} ms  "
            f"p99 {self.percentile(99):>7.2f} ms  errors {self.errors}"
        )


async def closed_loop(
    label: str,
    url: str,
    *,
    clients: int,
    seconds: float,
    headers: Callable[[], dict[str, str]] | None = None,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> LoadResult:
    """`clients` loops each sending the next request as soon as the last one answered."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                response = await http.get(url, headers=headers() if headers else None)
                good = ok(response)
            except httpx.HTTPError:
                good = False
            latencies.append((time.perf_counter() - started) * 1000)
            errors += 0 if good else 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        began = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return LoadResult(label, len(latencies), errors, elapsed, latencies)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _ms(text: str) -> float:
    value = float(re.match(r"[0-9.]+", text).group())
    unit = text[len(re.match(r"[0-9.]+", text).group()) :]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(label: str, url: str, *, clients: int, seconds: float, header: str = "") -> LoadResult:
    """Debian's wrk (C, one thread) as the load generator: its own cost stays out of the
    figures, which a Python client on this 2-core machine would not manage."""
    command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    elapsed = float(re.search(r"requests in ([0-9.]+)s", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    result = LoadResult(label, requests, int(errors.group(1)) if errors else 0, elapsed, [])
    if socket_errors:
        result.errors += sum(int(g) for g in socket_errors.groups())
    result.wrk_percentiles = {  # type: ignore[attr-defined]
        int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)$", out, re.M)
    }
    return result
