"""Redis connection shared by a process; keys are namespaced by the configured prefix."""

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request


def create_redis(url: str) -> aioredis.Redis:
    """A pooled client that fails fast, so a Redis outage degrades instead of hanging."""
    return aioredis.from_url(
        url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=10
    )


def get_redis(request: Request) -> aioredis.Redis:
    return request.app.state.redis


RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
