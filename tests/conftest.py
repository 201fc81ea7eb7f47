"""Test-run isolation: every run gets its own database and Redis key prefix.

The environment is set before any settings are read, so services built in tests and
processes started by them use this run's database, never the demo one.
"""

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.ports import free_port

RUN_ID = uuid.uuid4().hex[:10]
os.environ["FABRIKA_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/fabrika_test_{RUN_ID}"
os.environ["FABRIKA_REDIS_PREFIX"] = f"fabrika-test-{RUN_ID}"
os.environ["FABRIKA_SMTP_PORT"] = str(free_port())
os.environ["FABRIKA_INTERNAL_PORT"] = str(free_port())
os.environ["FABRIKA_RUN_DIR"] = tempfile.mkdtemp(prefix="fabrika-test-")
os.environ.setdefault("FABRIKA_LOG_LEVEL", "WARNING")

# Property tests assert properties, never how long an example took: Hypothesis' deadline
# and its too-slow health check fail on a machine that is merely busy (seen at a load of
# 20 on two cores). pytest-timeout still bounds every test.
hypothesis_settings.register_profile(
    "fabrika", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("fabrika")


@pytest.fixture(scope="session")
def settings():
    from fabrika.core.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
async def database(settings) -> AsyncIterator[str]:
    """This run's database, migrated and seeded once, dropped at the end."""
    from fabrika.platform.database import drop_database, ensure_database
    from fabrika.platform.migrate import migrate_all
    from fabrika.platform.seed import seed_demo_data

    await ensure_database(settings)
    await asyncio.to_thread(migrate_all, settings)
    await seed_demo_data(settings)
    yield settings.database_url
    await drop_database(settings)


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its lifespan run, and a client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture(scope="session")
def serve() -> Callable:
    return running
