"""Creating the platform's database when it does not exist yet, and dropping a test run's."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

from fabrika.core.settings import Settings


@asynccontextmanager
async def _maintenance_connection(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the server's `postgres` database, from which others are managed."""
    url = make_url(settings.database_url)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        yield connection
    finally:
        await connection.close()


async def ensure_database(settings: Settings) -> None:
    name = make_url(settings.database_url).database
    async with _maintenance_connection(settings) as connection:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')


async def drop_database(settings: Settings) -> None:
    """For tests: remove a per-run database."""
    name = make_url(settings.database_url).database
    async with _maintenance_connection(settings) as connection:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
