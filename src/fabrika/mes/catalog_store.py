"""Reading the catalog through the cache, and publishing new versions.

Versions are immutable, so a version's document can be cached for long; only the pointer
to the current version changes, and publishing raises it after the new version commits.
The pointer's short TTL bounds how long a pointer missed during a Redis outage can linger.
"""

import json
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fabrika.core.cache import Cache
from fabrika.core.errors import Problem
from fabrika.mes.catalog import Catalog, catalog_from_dict, catalog_to_dict
from fabrika.mes.models import CatalogVersion

POINTER_TTL_S = 30
DOCUMENT_TTL_S = 24 * 3600


def _missing() -> Problem:
    return Problem(
        "The catalog is empty; run `fabrika seed`.",
        status=503,
        type="catalog-missing",
        title="Catalog missing",
    )


async def publish_catalog(session: AsyncSession, catalog: Catalog, *, note: str) -> int:
    """Store `catalog` as the next version (serialised: two publishers never share a number)."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("mes:catalog"))))
    latest = (await session.execute(select(func.max(CatalogVersion.version)))).scalar()
    version = (latest or 0) + 1
    session.add(CatalogVersion(version=version, document=catalog_to_dict(catalog), note=note))
    await session.flush()
    return version


async def seed_catalog(session: AsyncSession, catalog: Catalog) -> int:
    """Publish the demo catalog unless a catalog exists already."""
    latest = (await session.execute(select(func.max(CatalogVersion.version)))).scalar()
    if latest is not None:
        return latest
    return await publish_catalog(session, catalog, note="demo catalog")


class CatalogStore:
    """The MES's one way to read and change the catalog."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], cache: Cache) -> None:
        self.sessions = sessions
        self.cache = cache
        # A version's document never changes, so each process keeps the latest few: a read
        # then costs one Redis lookup (the pointer) and no copy of the document over the wire.
        self._documents: dict[int, bytes] = {}
        # Parsed too (a Catalog is immutable): a quote reads it two or three times.
        self._catalogs: dict[int, Catalog] = {}

    async def current_version(self) -> int:
        cached = await self.cache.get("version")
        if cached is not None:
            return int(cached)
        async with self.sessions() as session:
            version = (await session.execute(select(func.max(CatalogVersion.version)))).scalar()
        if version is None:
            raise _missing()
        await self.cache.raise_pointer("version", version, POINTER_TTL_S)
        return version

    async def document_json(self, version: int) -> bytes:
        """The catalog of `version` as the JSON the API serves, `version` included."""

        if version in self._documents:
            return self._documents[version]

        async def load() -> bytes:
            async with self.sessions() as session:
                row = await session.get(CatalogVersion, version)
            if row is None:
                raise _missing()
            return json.dumps({"version": version, **row.document}).encode()

        document = await self.cache.get_or_load(f"v{version}", load, ttl_s=DOCUMENT_TTL_S)
        if self.cache.enabled:
            self._documents = {v: d for v, d in self._documents.items() if v > version - 4}
            self._documents[version] = document
        return document

    async def current(self) -> tuple[int, Catalog]:
        version = await self.current_version()
        if (catalog := self._catalogs.get(version)) is not None:
            return version, catalog
        document = json.loads(await self.document_json(version))
        document.pop("version")
        catalog = catalog_from_dict(document)
        if self.cache.enabled:  # kept like the documents: only while versions are known
            self._catalogs = {v: c for v, c in self._catalogs.items() if v > version - 4}
            self._catalogs[version] = catalog
        return version, catalog

    async def publish(self, catalog: Catalog, *, note: str) -> int:
        """Commit `catalog` as the next version and point readers at it before returning."""
        async with self.sessions() as session, session.begin():
            version = await publish_catalog(session, catalog, note=note)
        await self.announce(version)
        return version

    async def announce(self, version: int) -> None:
        """Point readers at a committed version, before the change's request returns."""
        await self.cache.raise_pointer("version", version, POINTER_TTL_S)


def get_store(request: Request) -> CatalogStore:
    store: CatalogStore = request.app.state.catalog
    return store


StoreDep = Annotated[CatalogStore, Depends(get_store)]
