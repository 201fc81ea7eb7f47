"""Redis cache-aside that keeps working, slower, when Redis does not.

Every key is namespaced by the configured prefix. A miss is computed once: concurrent
misses in one process share one load, and across processes a short Redis lock lets one
instance load while the others wait briefly for its result. When Redis fails, the cache
steps aside for a few seconds (reads go to the source, a warning is logged and counted)
and then tries again, so caching resumes by itself.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

import redis.asyncio as aioredis
import structlog
from fastapi import Depends, Request
from prometheus_client import Counter
from redis.exceptions import RedisError

log = structlog.get_logger()
CACHE_REQUESTS = Counter("fabrika_cache_requests", "Cache lookups by outcome", ["cache", "result"])
Loader = Callable[[], Awaitable[bytes]]

# Only raise the pointer: a slow reader can never move a version pointer backwards.
_RAISE_TO = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 0
"""


def create_redis(url: str) -> aioredis.Redis:
    """A pooled client that fails fast, so a Redis outage degrades instead of hanging."""
    return aioredis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=10
    )


class Cache:
    """Cache-aside over Redis for one kind of value (`name` labels its metrics)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        prefix: str,
        name: str,
        pause_s: float = 2.0,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self.enabled = enabled
        self.prefix = f"{prefix}:{name}:"
        self.name = name
        self.pause_s = pause_s
        self.clock = clock
        self._paused_until = 0.0
        self._loads: dict[str, asyncio.Future[bytes]] = {}

    @property
    def available(self) -> bool:
        return self.enabled and self.clock() >= self._paused_until

    def _failed(self, action: str, exc: Exception) -> None:
        if self.clock() >= self._paused_until:
            log.warning(
                "cache unavailable, using the source",
                cache=self.name,
                action=action,
                error=repr(exc),
            )
        self._paused_until = self.clock() + self.pause_s
        CACHE_REQUESTS.labels(self.name, "error").inc()

    async def get(self, key: str) -> bytes | None:
        """A cached value or None; counted as a hit or a miss."""
        value = await self._get(key)
        CACHE_REQUESTS.labels(self.name, "miss" if value is None else "hit").inc()
        return value

    async def _get(self, key: str) -> bytes | None:
        if not self.available:
            return None
        try:
            value = await self.redis.get(self.prefix + key)
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        return value if isinstance(value, bytes) else None  # the client does not decode

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        if not self.available:
            return
        try:
            await self.redis.set(self.prefix + key, value, ex=ttl_s)
        except (RedisError, OSError) as exc:
            self._failed("set", exc)

    async def raise_pointer(self, key: str, value: int, ttl_s: int) -> None:
        """Set an integer pointer (a version) unless it already points higher."""
        if not self.available:
            return
        try:
            await self.redis.eval(_RAISE_TO, 1, self.prefix + key, value, ttl_s)
        except (RedisError, OSError) as exc:
            self._failed("raise_pointer", exc)

    async def get_or_load(self, key: str, load: Loader, *, ttl_s: int) -> bytes:
        """The cached value, or `load()`'s result stored for next time; one load per miss."""
        if not self.enabled:  # switched off (FABRIKA_CACHE_ENABLED=false): the baseline
            return await load()
        cached = await self.get(key)
        if cached is not None:
            return cached
        pending = self._loads.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._loads[key] = future
        try:
            value = await self._load_once_across_instances(key, load, ttl_s)
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so waiters alone decide what to report
            raise
        finally:
            del self._loads[key]

    async def _load_once_across_instances(self, key: str, load: Loader, ttl_s: int) -> bytes:
        lock = f"{self.prefix}lock:{key}"
        try:
            leader = self.available and await self.redis.set(lock, b"1", nx=True, px=5000)
        except (RedisError, OSError) as exc:
            self._failed("lock", exc)
            leader = False
        if not leader and self.available:
            # Another instance is loading: wait up to ~1 s for its result.
            for _ in range(20):
                await asyncio.sleep(0.05)
                cached = await self._get(key)
                if cached is not None:
                    return cached
        value = await load()
        await self.set(key, value, ttl_s)
        if leader:
            try:
                await self.redis.delete(lock)
            except (RedisError, OSError) as exc:
                self._failed("unlock", exc)
        return value


def get_redis(request: Request) -> aioredis.Redis:
    redis: aioredis.Redis = request.app.state.redis
    return redis


RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
