"""The whole platform, started the way `make up` starts it, on free ports."""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.ports import free_port, free_port_range

CONFIRM_TIMEOUT_S = 12
DEMO_KEY = "fab_e2e_" + uuid.uuid4().hex


@dataclass
class Platform:
    pid: int
    shop: str
    b2b: str
    ops: str
    stats: str
    run_dir: Path
    b2b_key: str
    env: dict[str, str]


def _platform_env(run_dir: Path) -> dict[str, str]:
    database = f"fabrika_e2e_{uuid.uuid4().hex[:10]}"
    return {
        **os.environ,
        "FABRIKA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{database}",
        "FABRIKA_REDIS_PREFIX": f"fabrika-e2e-{database}",
        "FABRIKA_SHOP_PORT": str(free_port()),
        "FABRIKA_B2B_PORT": str(free_port()),
        "FABRIKA_OPS_PORT": str(free_port()),
        "FABRIKA_INTERNAL_PORT": str(free_port()),
        "FABRIKA_STATS_PORT": str(free_port()),
        "FABRIKA_SMTP_PORT": str(free_port()),
        "FABRIKA_SERVICE_PORT_BASE": str(free_port_range(12)),
        "FABRIKA_RUN_DIR": str(run_dir),
        "FABRIKA_CONFIRM_TIMEOUT_S": str(CONFIRM_TIMEOUT_S),
        "FABRIKA_DEMO_B2B_KEY": DEMO_KEY,
        "FABRIKA_LOG_LEVEL": "INFO",
    }


def _wait_for_banner(process: subprocess.Popen, timeout_s: float) -> list[str]:
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
    return lines


def _kill_leftovers(run_dir: Path) -> None:
    """Children whose supervisor could not stop them (their pid files remain)."""
    for pid_file in (run_dir / "pids").glob("*.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def _drop_database(env: dict[str, str]) -> None:
    code = (
        "import asyncio; from fabrika.core.settings import Settings; "
        "from fabrika.platform.database import drop_database; "
        "asyncio.run(drop_database(Settings()))"
    )
    subprocess.run([sys.executable, "-c", code], env=env, timeout=60, check=False)


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    run_dir = Path(tempfile.mkdtemp(prefix="fabrika-e2e-"))
    env = _platform_env(run_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "fabrika.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_banner(process, timeout_s=120)
        host = "http://127.0.0.1"
        yield Platform(
            pid=process.pid,
            shop=f"{host}:{env['FABRIKA_SHOP_PORT']}",
            b2b=f"{host}:{env['FABRIKA_B2B_PORT']}",
            ops=f"{host}:{env['FABRIKA_OPS_PORT']}",
            stats=f"{host}:{env['FABRIKA_STATS_PORT']}",
            run_dir=run_dir,
            b2b_key=DEMO_KEY,
            env=env,
        )
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


def wait_for_status(
    client: httpx.Client, url: str, statuses: set[str], timeout_s: float = 60.0, **kw
) -> dict:
    """Poll an order until it reaches one of `statuses`; fail with its last state."""
    deadline = time.monotonic() + timeout_s
    body: dict = {}
    while time.monotonic() < deadline:
        response = client.get(url, **kw)
        if response.status_code == 200:
            body = response.json()
            if body["status"] in statuses:
                return body
        time.sleep(0.3)
    raise AssertionError(f"order never reached {statuses}; last seen: {body}")


def wait_for_mail(client: httpx.Client, ops: str, to: str, count: int, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    messages: list = []
    while time.monotonic() < deadline:
        messages = client.get(f"{ops}/api/v1/mailbox", params={"to": to}).json()
        if len(messages) >= count:
            return messages
        time.sleep(0.3)
    raise AssertionError(f"expected {count} messages to {to}, got {messages}")
