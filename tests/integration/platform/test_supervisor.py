"""The supervisor `fabrika up` uses, on real child processes."""

import asyncio
import os
import signal
import sys

from fabrika.platform.processes import Child, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


async def test_a_killed_child_is_started_again_with_its_pid_file_updated(tmp_path) -> None:
    supervisor = Supervisor(tmp_path)
    child = await supervisor.start(Child("sleeper", SLEEPER))
    first_pid = child.pid
    try:
        os.kill(first_pid, signal.SIGKILL)
        await asyncio.wait_for(child.process.wait(), 5)
        child.started_at -= 10  # it had been up for a while
        restarted = await supervisor.restart_exited()
        assert restarted == [child] and child.pid != first_pid and child.restarts == 1
        assert (tmp_path / "pids" / "sleeper.pid").read_text() == str(child.pid)
    finally:
        await supervisor.stop_all()


async def test_a_child_that_dies_at_once_is_not_restarted_in_a_tight_loop(tmp_path) -> None:
    supervisor = Supervisor(tmp_path)
    child = await supervisor.start(Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"]))
    try:
        await asyncio.wait_for(child.process.wait(), 5)
        assert await supervisor.restart_exited(min_uptime_s=30) == []
    finally:
        await supervisor.stop_all()


async def test_stop_all_ends_every_child_and_removes_pid_files(tmp_path) -> None:
    supervisor = Supervisor(tmp_path)
    children = [await supervisor.start(Child(f"s{i}", SLEEPER)) for i in range(3)]
    await supervisor.stop_all()
    assert all(c.process.returncode is not None for c in children)
    assert list((tmp_path / "pids").glob("*.pid")) == []
