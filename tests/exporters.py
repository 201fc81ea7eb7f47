"""Exporters a test starts, scrapes and stops: their series names, straight from /metrics."""

import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 15
STOP_TIMEOUT_S = 10


def exposed_names(exposition: str) -> set[str]:
    """The series names of a Prometheus text exposition."""
    return {
        line.split("{", 1)[0].split(" ", 1)[0]
        for line in exposition.splitlines()
        if line and not line.startswith("#")
    }


@contextmanager
def running(
    command: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A process in the foreground, its output in `log`; stopped (and waited for) after."""
    with log.open("w") as out:
        process = subprocess.Popen(list(command), stdout=out, stderr=out, env=env)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


def scrape_when_up(url: str, process: subprocess.Popen[bytes], log: Path) -> str:
    """The exposition at `url`, once the process serves it; fails if it exits or is late."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited {process.returncode}:\n{log.read_text()}")
        try:
            return httpx.get(url, timeout=2).raise_for_status().text
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"nothing at {url} after {STARTUP_TIMEOUT_S}s:\n{log.read_text()}")
