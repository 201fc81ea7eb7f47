"""Postgres access: one async engine per process, one transaction per request or job."""

import datetime as dt
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import JSON, Enum, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# Each service declares its own base with its schema and this convention:
#     class Base(DeclarativeBase):
#         metadata = MetaData(schema="crm", naming_convention=NAMING_CONVENTION)
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON documents: JSONB in Postgres (the only database the services run on), plain JSON
# elsewhere (Alembic's offline rendering).
JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")


def status_type(statuses: type[StrEnum], length: int = 16) -> Enum:
    """A VARCHAR column read back as the StrEnum it holds (stored by value, no CHECK)."""
    return Enum(
        statuses,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def table_of(model: type[DeclarativeBase]) -> Table:
    """A mapped class's table, for statements that go through the tables (Core)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def utc_now() -> dt.datetime:
    """A column default: now, in UTC."""
    return dt.datetime.now(dt.UTC)


def create_engine(url: str, *, pool_size: int = 6) -> AsyncEngine:
    """The process's engine; built in lifespan, never at import.

    Pools are small on purpose: every instance of every service shares Postgres's
    100 connections (README, "Connections"), and asyncpg connections are busy only briefly.
    No overflow: SQLAlchemy closes an overflow connection as soon as it is returned, so
    under load every request past the pool opened a connection (a Postgres backend fork
    and a TLS attempt) and threw it away; a request now waits for a pooled one instead.
    No ping before each use (it was an eighth of a request's CPU and a round trip): after
    a Postgres restart the first statement on a dead connection fails, SQLAlchemy then
    discards the whole pool, and callers retry that one failure as they retry any 5xx.
    """
    return create_async_engine(url, pool_size=pool_size, max_overflow=0)


def create_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed when the handler returns, rolled back on error.

    Services only flush; this is the one place that commits.
    """
    async with request.app.state.sessions() as session, session.begin():
        yield session


# scope="function" commits before the response is sent, so a client never sees a
# success whose commit then failed.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
