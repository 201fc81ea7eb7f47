"""Readiness against the real Postgres: the gateway's check must not wait behind requests."""

import asyncio
from contextlib import AsyncExitStack

import pytest

from fabrika.core.app import create_app

pytestmark = pytest.mark.usefixtures("database")


async def test_readiness_answers_while_every_request_connection_is_busy(serve) -> None:
    app = create_app("readiness-test", routers=[], db_pool_size=2)
    async with serve(app) as client, AsyncExitStack() as held:
        for _ in range(2):  # the whole request pool, checked out and kept
            await held.enter_async_context(app.state.engine.connect())
        ready = await asyncio.wait_for(client.get("/readyz"), timeout=10)
        assert ready.status_code == 200
        assert ready.json()["checks"]["postgres"] is True
