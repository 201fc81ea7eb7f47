"""Quotas on the B2B entry: GCRA (gcra.py) per account and kind of call, in Redis, so every
B2B instance shares one count, on Redis's clock, so instances' clocks do not matter.

Every answer says where the partner stands (IETF httpapi RateLimit headers, draft 11):
    RateLimit-Policy: "writes";q=20;w=2      20 calls per 2 s, a burst of 20 at 10/s
    RateLimit: "writes";r=17;t=1             17 left now; the whole burst back in 1 s
Over quota: 429 problem+json (quota-exceeded, the violated policy) and Retry-After.

When Redis does not answer, each instance counts on its own with the same policy (the
partner gets at most the quota once per instance) and says so in a warning and the
`fabrika_b2b_quota_fallbacks` counter: a partner is never refused with a 5xx because
Redis is away, and a flood is still bounded.
"""

import time
from dataclasses import dataclass, field

import redis.asyncio as aioredis
import structlog
from prometheus_client import Counter
from redis.exceptions import RedisError

from fabrika.b2b.gcra import Verdict, decide, interval_us, seconds
from fabrika.contracts.accounts import PolicyKind, QuotaPolicy
from fabrika.core.errors import Problem

log = structlog.get_logger()
REJECTED = Counter(
    "fabrika_b2b_quota_rejections", "Requests refused by a quota", ["account", "policy"]
)
FALLBACKS = Counter(
    "fabrika_b2b_quota_fallbacks", "Quota checks made locally because Redis did not answer"
)
QUOTA_EXCEEDED = "https://iana.org/assignments/http-problem-types#quota-exceeded"

# decide() in Lua: KEYS[1] the state; ARGV interval (µs), burst, and `now` only in tests.
GCRA_LUA = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local capacity = interval * burst
local after = tat + interval
if after - now > capacity then
  return {0, 0, after - now - capacity, tat - now, tat}
end
redis.call('SET', KEYS[1], string.format('%d', after), 'PX', math.ceil((after - now) / 1000) + 1000)
return {1, math.floor((capacity - (after - now)) / interval), 0, after - now, after}
"""
WARN_EVERY_S = 10.0


@dataclass
class LocalCounts:
    """The fallback: GCRA states in this process, on its monotonic clock."""

    states: dict[str, int] = field(default_factory=dict)

    def charge(self, key: str, interval: int, burst: int) -> Verdict:
        now = time.monotonic_ns() // 1000
        verdict = decide(self.states.get(key), now, interval=interval, burst=burst)
        self.states[key] = verdict.tat_us
        return verdict


class Quotas:
    """Charges calls against an account's policies; shared by a B2B instance's requests."""

    def __init__(self, redis: aioredis.Redis, *, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:quota:"
        self.script = redis.register_script(GCRA_LUA)
        self.local = LocalCounts()
        self._warned_at = 0.0

    async def charge(self, account: str, kind: PolicyKind, policy: QuotaPolicy) -> Verdict:
        """One call of `kind` by `account`: allowed or not, and the numbers for headers."""
        key = f"{account}:{kind.value}"
        interval = interval_us(policy.rate_per_s)
        try:
            answer = await self.script(keys=[self.prefix + key], args=[interval, policy.burst])
        except (RedisError, OSError) as exc:
            self._fell_back(exc)
            return self.local.charge(key, interval, policy.burst)
        allowed, remaining, retry_after, reset, tat = (int(value) for value in answer)
        return Verdict(bool(allowed), remaining, retry_after, reset, tat)

    def _fell_back(self, exc: Exception) -> None:
        FALLBACKS.inc()
        if time.monotonic() - self._warned_at >= WARN_EVERY_S:
            self._warned_at = time.monotonic()
            log.warning("quotas counted locally: Redis did not answer", error=repr(exc))


def rate_limit_headers(kind: PolicyKind, policy: QuotaPolicy, verdict: Verdict) -> dict[str, str]:
    """RateLimit-Policy and RateLimit for one policy, in the draft's structured syntax."""
    window = max(1, round(policy.window_s))
    return {
        "RateLimit-Policy": f'"{kind.value}";q={policy.burst};w={window}',
        "RateLimit": f'"{kind.value}";r={verdict.remaining};t={seconds(verdict.reset_us)}',
    }


def quota_exceeded(
    account: str, kind: PolicyKind, policy: QuotaPolicy, verdict: Verdict
) -> Problem:
    """The 429 for a refused call: which policy, and when to come back."""
    REJECTED.labels(account, kind.value).inc()
    retry_after = max(1, seconds(verdict.retry_after_us))
    return Problem(
        f"Your account's {kind.value} quota is used up ({policy.burst} calls at once, "
        f"{policy.rate_per_s:g} a second); retry in {retry_after} s.",
        status=429,
        type=QUOTA_EXCEEDED,
        title="Quota exceeded",
        headers={**rate_limit_headers(kind, policy, verdict), "Retry-After": str(retry_after)},
        **{"violated-policies": [kind.value]},
    )
