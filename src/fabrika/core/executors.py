"""Keeping DBOS executors' work alive when an executor dies or is removed for good.

DBOS recovers, at start-up, only the pending workflows of its own executor id. Fabrika's
workers therefore write a heartbeat every few seconds, and every worker runs a reaper:
the one holding an advisory lock looks for pending workflows whose executor has gone
silent and hands them to DBOS recovery, which puts each back on its own queue, where
exactly one live worker dequeues it.
"""

import asyncio
import contextlib
import os
import socket

import structlog
from dbos import DBOS
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = structlog.get_logger()
HEARTBEAT_S = 5.0
STALE_AFTER_S = 20.0
REAP_EVERY_S = 10.0
REAPER_LOCK = 0x0FAB_41CA  # one reaper at a time, across all workers
RECOVERED = Counter(
    "fabrika_workflows_recovered", "Workflows handed back from dead executors", ["executor"]
)

DDL = (
    "CREATE SCHEMA IF NOT EXISTS executors",
    """CREATE TABLE IF NOT EXISTS executors.heartbeats (
        executor_id text PRIMARY KEY,
        kind text NOT NULL,
        host text NOT NULL,
        pid integer NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now()
    )""",
)
BEAT = text(
    """INSERT INTO executors.heartbeats (executor_id, kind, host, pid, seen_at)
    VALUES (:executor_id, :kind, :host, :pid, now())
    ON CONFLICT (executor_id) DO UPDATE
    SET kind = EXCLUDED.kind, host = EXCLUDED.host, pid = EXCLUDED.pid, seen_at = now()"""
)
SILENT_EXECUTORS = text(
    """SELECT DISTINCT w.executor_id
    FROM dbos.workflow_status w
    LEFT JOIN executors.heartbeats h ON h.executor_id = w.executor_id
    WHERE w.status = 'PENDING'
      AND w.application_version = :version
      AND w.executor_id <> :me
      AND (h.seen_at IS NULL OR h.seen_at < now() - make_interval(secs => :stale))"""
)


async def create_heartbeat_table(database_url: str) -> None:
    """Part of `fabrika migrate`: the table the workers' heartbeats go to."""
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        for statement in DDL:
            await conn.execute(text(statement))
    await engine.dispose()


class ExecutorLiveness:
    """This worker's heartbeat and its share of reaping, as one background task.

    It has a connection of its own: a pool busy with the worker's jobs must never delay a
    heartbeat, or a live worker would look dead and lose its workflows to the reaper.
    """

    def __init__(self, database_url: str, *, executor_id: str, kind: str, version: str) -> None:
        self.engine: AsyncEngine = create_async_engine(database_url, pool_size=1, max_overflow=0)
        self.executor_id = executor_id
        self.kind = kind
        self.version = version
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"liveness-{self.executor_id}")

    async def stop(self) -> None:
        """Stop beating and say so, so the reaper need not wait out the silence."""
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        async with self.engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM executors.heartbeats WHERE executor_id = :id"),
                {"id": self.executor_id},
            )
        await self.engine.dispose()

    async def _run(self) -> None:
        beats_per_reap = max(1, round(REAP_EVERY_S / HEARTBEAT_S))
        beat = 0
        while True:
            try:
                await self.beat()
                if beat % beats_per_reap == 0:
                    await self.reap()
            except Exception as exc:  # the next round tries again; never kill the worker
                log.warning("liveness round failed", error=repr(exc))
            beat += 1
            await asyncio.sleep(HEARTBEAT_S)

    async def beat(self) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                BEAT,
                {
                    "executor_id": self.executor_id,
                    "kind": self.kind,
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                },
            )

    async def reap(self) -> list[str]:
        """If this worker holds the reaper lock, recover the silent executors' workflows."""
        async with self.engine.begin() as conn:
            locked = await conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": REAPER_LOCK}
            )
            if not locked:
                return []
            rows = await conn.execute(
                SILENT_EXECUTORS,
                {"version": self.version, "me": self.executor_id, "stale": STALE_AFTER_S},
            )
            silent = [row[0] for row in rows]
            if silent:
                handles = await asyncio.to_thread(DBOS._recover_pending_workflows, silent)
                for executor in silent:
                    RECOVERED.labels(executor).inc(len(handles) / len(silent))
                log.warning(
                    "recovered workflows of silent executors",
                    executors=silent,
                    workflows=len(handles),
                )
        return silent
