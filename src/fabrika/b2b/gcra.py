"""The generic cell rate algorithm (GCRA), as quotas use it. Pure.

A policy allows `rate_per_s` calls a second and up to `burst` at once. The state is one
number per account and policy: the theoretical arrival time (TAT) of the next call. A call
at `now` moves it to max(TAT, now) + 1/rate, and is allowed while that stays within
`burst` intervals of now. The Lua script in quotas.py is this function, run inside Redis
on Redis's clock; this one is its reference and the fallback when Redis is away.

Times are whole microseconds, so both sides compute exactly the same numbers.
"""

import math
from dataclasses import dataclass

MICROS = 1_000_000


@dataclass(frozen=True)
class Verdict:
    """A call's fate: allowed or not, the calls left now, and the waits in microseconds."""

    allowed: bool
    remaining: int
    retry_after_us: int  # until the next call would be allowed (0 when this one was)
    reset_us: int  # until the whole burst is available again
    tat_us: int  # the state after this call


def interval_us(rate_per_s: float) -> int:
    return max(1, round(MICROS / rate_per_s))


def decide(tat_us: int | None, now_us: int, *, interval: int, burst: int) -> Verdict:
    """Whether a call at `now_us` is allowed, given the state `tat_us` (None: no calls yet)."""
    tat = max(tat_us if tat_us is not None else now_us, now_us)
    capacity = interval * burst
    after = tat + interval
    if after - now_us > capacity:
        return Verdict(False, 0, after - now_us - capacity, tat - now_us, tat)
    remaining = (capacity - (after - now_us)) // interval
    return Verdict(True, remaining, 0, after - now_us, after)


def seconds(micros: int) -> int:
    """A wait for a header: whole seconds, never shorter than the wait itself."""
    return math.ceil(micros / MICROS)
