"""Postgres access: one async engine per process, one transaction per request or job."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_base(schema: str) -> type[DeclarativeBase]:
    """A declarative base whose tables live in one service's own schema."""

    class Base(DeclarativeBase):
        metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)

    return Base


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
