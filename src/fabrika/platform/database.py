"""Creating the platform's database when it does not exist yet."""

import asyncpg
from sqlalchemy.engine import make_url

from fabrika.core.settings import Settings


async def ensure_database(settings: Settings) -> None:
    url = make_url(settings.database_url)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", url.database
        )
        if not exists:
            await connection.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await connection.close()


async def drop_database(settings: Settings) -> None:
    """For tests: remove a per-run database."""
    url = make_url(settings.database_url)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database="postgres",
    )
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await connection.close()
