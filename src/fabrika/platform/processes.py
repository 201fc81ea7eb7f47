"""Child processes started and stopped by `fabrika up`, each logging to its own file."""

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import structlog

log = structlog.get_logger()


@dataclass
class Child:
    """One process of the platform: a service instance, HAProxy, the mail sink."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = 0.0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


def python_command(*args: str) -> list[str]:
    """This interpreter running the fabrika CLI, so children share the venv."""
    return [sys.executable, "-m", "fabrika.cli", *args]


class Supervisor:
    """Starts children, waits for them to be ready, and stops every one it started."""

    def __init__(self, run_dir: Path) -> None:
        self.log_dir = run_dir / "logs"
        self.pid_dir = run_dir / "pids"
        self.children: list[Child] = []
        self.retiring: set[asyncio.Task[None]] = set()

    async def start(self, child: Child) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{child.name}.log", "ab") as logfile:
            child.process = await asyncio.create_subprocess_exec(
                *child.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=logfile,
                stderr=asyncio.subprocess.STDOUT,
                env={**os.environ, **child.env},
                start_new_session=True,
            )
        if child not in self.children:
            self.children.append(child)
        child.started_at = time.monotonic()
        (self.pid_dir / f"{child.name}.pid").write_text(str(child.pid))
        log.info("started", process=child.name, pid=child.pid)
        return child

    async def wait_ready(self, children: list[Child], timeout_s: float = 60.0) -> None:
        """Wait until every child answers its readiness URL; fail if one dies or times out."""
        async with httpx.AsyncClient(timeout=2.0) as http:
            await asyncio.wait_for(
                asyncio.gather(*(self._ready(http, c) for c in children if c.ready_url)),
                timeout_s,
            )

    async def _ready(self, http: httpx.AsyncClient, child: Child) -> None:
        assert child.ready_url and child.process
        while True:
            if child.process.returncode is not None:
                raise RuntimeError(
                    f"{child.name} exited with {child.process.returncode}; "
                    f"see {self.log_dir / (child.name + '.log')}"
                )
            try:
                if (await http.get(child.ready_url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)

    def exited(self) -> list[Child]:
        return [c for c in self.children if c.process and c.process.returncode is not None]

    async def restart_exited(self, min_uptime_s: float = 1.0) -> list[Child]:
        """Start again every child that died, the way it was first started (same port, same
        executor id, so its unfinished work is resumed). A child that dies right after
        starting waits out `min_uptime_s` first, so a crash loop cannot spin the CPU."""
        restarted = []
        for child in self.exited():
            if time.monotonic() - child.started_at < min_uptime_s:
                continue
            code = child.process.returncode if child.process else None
            log.warning("restarting", process=child.name, code=code)
            child.restarts += 1
            await self.start(child)
            restarted.append(child)
        return restarted

    async def stop(self, child: Child, timeout_s: float = 15.0) -> None:
        """SIGTERM, a bounded wait for a graceful exit, then SIGKILL."""
        process = child.process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout_s)
            except TimeoutError:
                log.warning("did not stop in time, killing", process=child.name, pid=child.pid)
                process.kill()
                await process.wait()
        (self.pid_dir / f"{child.name}.pid").unlink(missing_ok=True)

    def retire(self, child: Child) -> None:
        """Stop a child for good in the background: it is no longer watched or restarted."""
        self.children.remove(child)
        task = asyncio.create_task(self.stop(child))
        self.retiring.add(task)
        task.add_done_callback(self.retiring.discard)

    async def stop_all(self) -> None:
        """Stop every child at once; each gets its own bounded grace period."""
        await asyncio.gather(*(self.stop(child) for child in self.children), *self.retiring)
        self.children.clear()
