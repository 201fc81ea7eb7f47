"""Running `fabrika up` as a child process on free ports: for end-to-end tests and benches."""

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from fabrika.platform.topology import HTTP_SERVICES, MAX_INSTANCES


def free_port() -> int:
    return free_port_range(1)


def _ephemeral_ports_start() -> int:
    """Where the kernel starts picking ports for outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_range(count: int, attempts: int = 200) -> int:
    """The first of `count` consecutive free ports, below the kernel's ephemeral range: a
    port free now but in that range may be taken by any outgoing connection before our
    server binds it (a platform failed to start so, "address already in use")."""
    for _ in range(attempts):
        base = random.randint(10_000, _ephemeral_ports_start() - count - 1)
        if all(_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports found")


@dataclass
class RunningPlatform:
    pid: int
    env: dict[str, str]
    run_dir: Path

    def url(self, entry: str) -> str:
        return f"http://127.0.0.1:{self.env[f'FABRIKA_{entry.upper()}_PORT']}"

    @property
    def shop(self) -> str:
        return self.url("shop")

    @property
    def b2b(self) -> str:
        return self.url("b2b")

    @property
    def ops(self) -> str:
        return self.url("ops")

    @property
    def stats(self) -> str:
        return self.url("stats")

    @property
    def service_ports(self) -> range:
        base = int(self.env["FABRIKA_SERVICE_PORT_BASE"])
        return range(base, base + 64)


def platform_env(run_dir: Path, overrides: Mapping[str, str]) -> dict[str, str]:
    """A private database, key prefix, run dir and free ports for one platform."""
    database = f"fabrika_run_{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "FABRIKA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
        "FABRIKA_REDIS_PREFIX": f"fabrika-{database}",
        "FABRIKA_RUN_DIR": str(run_dir),
        "FABRIKA_SERVICE_PORT_BASE": str(free_port_range(MAX_INSTANCES * len(HTTP_SERVICES))),
        # Tests decide their own scale; the autoscaler is switched on where it is tested.
        "FABRIKA_AUTOSCALE": "false",
    }
    for name in ("SHOP", "B2B", "OPS", "INTERNAL", "STATS", "SMTP"):
        env[f"FABRIKA_{name}_PORT"] = str(free_port())
    env.update(overrides)
    return env


def _wait_for_banner(process: subprocess.Popen[str], timeout_s: float) -> None:
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Fabrika is running." in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not ready.wait(0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the platform did not start:\n" + "".join(lines[-40:]))


def _kill_leftovers(run_dir: Path) -> None:
    """Children whose supervisor could not stop them (their pid files remain)."""
    for pid_file in (run_dir / "pids").glob("*.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _drop_database(env: Mapping[str, str]) -> None:
    code = (
        "import asyncio; from fabrika.core.settings import Settings; "
        "from fabrika.platform.database import drop_database; "
        "asyncio.run(drop_database(Settings()))"
    )
    subprocess.run([sys.executable, "-c", code], env=dict(env), timeout=60, check=False)


@contextlib.contextmanager
def running_platform(
    overrides: Mapping[str, str] | None = None, *, scale: str = "", timeout_s: float = 120
) -> Iterator[RunningPlatform]:
    """`fabrika up` on free ports with its own database; stopped and dropped on exit."""
    run_dir = Path(tempfile.mkdtemp(prefix="fabrika-run-"))
    env = platform_env(run_dir, overrides or {})
    command = [sys.executable, "-m", "fabrika.cli", "up"] + (["--scale", scale] if scale else [])
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_for_banner(process, timeout_s)
        yield RunningPlatform(pid=process.pid, env=env, run_dir=run_dir)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        _kill_leftovers(run_dir)
        _drop_database(env)
