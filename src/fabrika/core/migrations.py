"""Alembic, one history per service: each service migrates only its own schema and keeps its
version table there."""

import asyncio
from importlib import resources

from alembic import context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from fabrika.core.settings import Settings


def alembic_config(service: str, settings: Settings) -> Config:
    config = Config()
    location = resources.files(f"fabrika.{service}") / "migrations"
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", settings.sqlalchemy_url)
    config.attributes["schema"] = service
    return config


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    schema = metadata.schema
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None, "alembic_config() sets the database URL"

    def migrate(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _: type_ != "schema" or name == schema,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.begin() as connection:
            await connection.run_sync(migrate)
        await engine.dispose()

    asyncio.run(run())
