"""Cache-aside against the real Redis, and without one."""

import asyncio
import uuid

import pytest

from fabrika.core.cache import Cache, create_redis
from tests.ports import free_port


@pytest.fixture
async def redis(settings):
    client = create_redis(settings.redis_url)
    yield client
    await client.aclose()


def counting_loader(value: bytes, delay_s: float = 0.05):
    calls = {"n": 0}

    async def load() -> bytes:
        calls["n"] += 1
        await asyncio.sleep(delay_s)
        return value

    return load, calls


async def test_a_value_is_loaded_once_and_then_served_from_redis(redis, settings) -> None:
    cache = Cache(redis, prefix=settings.redis_prefix, name=f"t-{uuid.uuid4().hex}")
    load, calls = counting_loader(b"v1")
    assert await cache.get_or_load("k", load, ttl_s=60) == b"v1"
    assert await cache.get_or_load("k", load, ttl_s=60) == b"v1"
    assert calls["n"] == 1


async def test_concurrent_misses_in_one_process_compute_once(redis, settings) -> None:
    cache = Cache(redis, prefix=settings.redis_prefix, name=f"t-{uuid.uuid4().hex}")
    load, calls = counting_loader(b"v", delay_s=0.2)
    values = await asyncio.gather(*(cache.get_or_load("k", load, ttl_s=60) for _ in range(25)))
    assert values == [b"v"] * 25 and calls["n"] == 1


async def test_concurrent_misses_across_instances_compute_once(redis, settings) -> None:
    name = f"t-{uuid.uuid4().hex}"
    instances = [Cache(redis, prefix=settings.redis_prefix, name=name) for _ in range(4)]
    load, calls = counting_loader(b"v", delay_s=0.2)
    values = await asyncio.gather(*(c.get_or_load("k", load, ttl_s=60) for c in instances))
    assert values == [b"v"] * 4 and calls["n"] == 1


async def test_a_pointer_never_moves_backwards(redis, settings) -> None:
    cache = Cache(redis, prefix=settings.redis_prefix, name=f"t-{uuid.uuid4().hex}")
    await cache.raise_pointer("version", 5, 60)
    await cache.raise_pointer("version", 3, 60)
    assert await cache.get("version") == b"5"


async def test_without_redis_every_read_goes_to_the_source() -> None:
    dead = create_redis(f"redis://127.0.0.1:{free_port()}/0")
    cache = Cache(dead, prefix="t", name="dead")
    load, calls = counting_loader(b"from-source")
    assert await cache.get_or_load("k", load, ttl_s=60) == b"from-source"
    assert await cache.get_or_load("k", load, ttl_s=60) == b"from-source"
    assert calls["n"] == 2 and not cache.available
    await dead.aclose()


async def test_caching_resumes_by_itself_when_redis_returns(redis, settings) -> None:
    clock = [1000.0]
    name = f"t-{uuid.uuid4().hex}"
    cache = Cache(redis, prefix=settings.redis_prefix, name=name, pause_s=2, clock=lambda: clock[0])
    cache._failed("get", ConnectionError("simulated outage"))
    assert not cache.available
    clock[0] += 1.9
    assert not cache.available  # still stepping aside
    clock[0] += 0.2  # the pause is over
    load, calls = counting_loader(b"v")
    await cache.get_or_load("k", load, ttl_s=60)
    await cache.get_or_load("k", load, ttl_s=60)
    assert cache.available and calls["n"] == 1
