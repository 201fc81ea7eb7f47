"""What a DBOS step costs here: CPU per workflow of 0, 1, 2 and 4 empty async steps.

The saga is shaped by this figure (a step may make several idempotent calls, because each
step is two system-database transactions). Runs DBOS in this process against a database of
its own, created and dropped here; Postgres's share is not counted.

    .venv/bin/python bench/dbos_steps.py [--workflows 400]
"""

import argparse
import asyncio
import time
import uuid

from dbos import DBOS, DBOSConfig

from fabrika.core.settings import Settings
from fabrika.platform.database import drop_database, ensure_database


@DBOS.step()
async def empty_step(index: int) -> dict:
    return {"ok": True, "index": index}


@DBOS.workflow()
async def steps_workflow(steps: int) -> int:
    for index in range(steps):
        await empty_step(index)
    return steps


async def cpu_per_workflow(steps: int, workflows: int) -> float:
    """CPU ms of this process per workflow, 32 workflows running at a time."""
    running = asyncio.Semaphore(32)

    async def one() -> None:
        async with running:
            await steps_workflow(steps)

    for _ in range(20):  # warm-up
        await steps_workflow(steps)
    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(workflows)))
    return 1000 * (time.process_time() - started) / workflows


async def main(workflows: int) -> None:
    settings = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:5432/fabrika_bench_{uuid.uuid4().hex[:8]}"
    )
    await ensure_database(settings)
    try:
        config: DBOSConfig = {
            "name": "bench-dbos-steps",
            "system_database_url": settings.database_url,
            "run_admin_server": False,
            "db_engine_kwargs": {"pool_pre_ping": False},
        }
        DBOS(config=config)
        DBOS.launch()
        print("\nDBOS workflows of empty async steps, CPU of this process per workflow")
        costs = {steps: await cpu_per_workflow(steps, workflows) for steps in (0, 1, 2, 4)}
        for steps, cost in costs.items():
            print(f"  {steps} steps: {cost:.2f} ms")
        print(f"  one step: {(costs[4] - costs[0]) / 4:.2f} ms")
        DBOS.destroy()
    finally:
        await drop_database(settings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--workflows", type=int, default=400)
    asyncio.run(main(parser.parse_args().workflows))
