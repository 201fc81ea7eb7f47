"""Quotas against the real Redis: the Lua script is GCRA exactly, every B2B instance draws
on one count, and without Redis each instance still limits on its own."""

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fabrika.b2b.gcra import MICROS, decide, interval_us
from fabrika.b2b.quotas import FALLBACKS, Quotas
from fabrika.contracts.accounts import PolicyKind, QuotaPolicy
from fabrika.core.cache import create_redis
from tests.ports import free_port

WRITES = QuotaPolicy(rate_per_s=10, burst=20)


@pytest.fixture
async def redis(settings):
    client = create_redis(settings.redis_url)
    yield client
    await client.aclose()


def account() -> str:
    return str(uuid.uuid4())


async def test_a_burst_is_allowed_and_the_next_call_is_refused_with_its_wait(redis, settings):
    quotas = Quotas(redis, prefix=settings.redis_prefix)
    who = account()

    verdicts = [await quotas.charge(who, PolicyKind.WRITES, WRITES) for _ in range(21)]

    assert all(v.allowed for v in verdicts[:20]) and not verdicts[20].allowed
    assert [v.remaining for v in verdicts[:3]] == [19, 18, 17]
    # One call comes back after one interval (100 ms), give or take the test's own time.
    assert 0 < verdicts[20].retry_after_us <= interval_us(WRITES.rate_per_s)


async def test_a_refused_account_may_call_again_once_its_wait_is_over(redis, settings):
    quotas = Quotas(redis, prefix=settings.redis_prefix)
    who, tight = account(), QuotaPolicy(rate_per_s=20, burst=1)
    assert (await quotas.charge(who, PolicyKind.WRITES, tight)).allowed
    refused = await quotas.charge(who, PolicyKind.WRITES, tight)
    assert not refused.allowed

    await asyncio.sleep(refused.retry_after_us / MICROS)

    assert (await quotas.charge(who, PolicyKind.WRITES, tight)).allowed


async def test_two_instances_draw_on_one_quota(redis, settings):
    first = Quotas(redis, prefix=settings.redis_prefix)
    second = Quotas(create_redis(settings.redis_url), prefix=settings.redis_prefix)
    who = account()

    verdicts = []
    for turn in range(21):
        verdicts.append(
            await (first if turn % 2 else second).charge(who, PolicyKind.WRITES, WRITES)
        )

    assert sum(v.allowed for v in verdicts) == 20
    await second.redis.aclose()


async def test_kinds_and_accounts_have_counts_of_their_own(redis, settings):
    quotas = Quotas(redis, prefix=settings.redis_prefix)
    one, other, tight = account(), account(), QuotaPolicy(rate_per_s=1, burst=1)
    await quotas.charge(one, PolicyKind.WRITES, tight)

    assert not (await quotas.charge(one, PolicyKind.WRITES, tight)).allowed
    assert (await quotas.charge(one, PolicyKind.READS, tight)).allowed
    assert (await quotas.charge(other, PolicyKind.WRITES, tight)).allowed


async def test_without_redis_an_instance_limits_on_its_own_and_says_so(settings):
    dead = create_redis(f"redis://127.0.0.1:{free_port()}/0")
    quotas = Quotas(dead, prefix=settings.redis_prefix)
    before = FALLBACKS._value.get()

    verdicts = [await quotas.charge(account(), PolicyKind.WRITES, WRITES) for _ in range(3)]
    who = account()
    burst = [await quotas.charge(who, PolicyKind.WRITES, WRITES) for _ in range(21)]

    assert all(v.allowed for v in verdicts)
    assert sum(v.allowed for v in burst) == 20 and not burst[-1].allowed
    assert FALLBACKS._value.get() == before + 24
    await dead.aclose()


calls = st.lists(st.integers(min_value=0, max_value=2 * MICROS), min_size=1, max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(gaps=calls, rate=st.sampled_from([0.5, 2, 10, 100]), burst=st.integers(1, 30))
def test_the_script_in_redis_decides_as_gcra_does(gaps, rate, burst, settings) -> None:
    async def compare() -> None:
        redis = create_redis(settings.redis_url)
        quotas = Quotas(redis, prefix=settings.redis_prefix)
        key, interval = f"{settings.redis_prefix}:quota:prop:{uuid.uuid4()}", interval_us(rate)
        now, tat = 10**15, None
        try:
            for gap in gaps:
                now += gap
                script = await quotas.script(keys=[key], args=[interval, burst, now])
                reference = decide(tat, now, interval=interval, burst=burst)
                tat = reference.tat_us
                expected = [
                    int(reference.allowed),
                    reference.remaining,
                    reference.retry_after_us,
                    reference.reset_us,
                    reference.tat_us,
                ]
                assert [int(v) for v in script] == expected
        finally:
            await redis.aclose()

    asyncio.run(compare())
