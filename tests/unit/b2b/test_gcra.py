"""GCRA, the quota rule, as properties: whatever the calls, a policy of rate r and burst b
never lets more than b through at once nor more than b + r·t over t seconds, and it tells
the truth about when the next call is allowed."""

from hypothesis import given
from hypothesis import strategies as st

from fabrika.b2b.gcra import MICROS, decide, interval_us, seconds

rates = st.sampled_from([0.5, 1, 2, 10, 50, 200])
bursts = st.integers(min_value=1, max_value=50)
gaps = st.lists(st.integers(min_value=0, max_value=3 * MICROS), min_size=1, max_size=200)


def run(rate: float, burst: int, gaps_us: list[int]) -> list[tuple[int, bool]]:
    """(time, allowed) for calls arriving after the given gaps."""
    interval, tat, now, calls = interval_us(rate), None, 0, []
    for gap in gaps_us:
        now += gap
        verdict = decide(tat, now, interval=interval, burst=burst)
        tat = verdict.tat_us
        calls.append((now, verdict.allowed))
    return calls


def test_an_idle_account_gets_exactly_its_burst_at_once() -> None:
    calls = run(10, 20, [0] * 25)

    assert [allowed for _, allowed in calls] == [True] * 20 + [False] * 5


def test_the_remaining_count_falls_to_zero_over_a_burst() -> None:
    interval, tat, left = interval_us(10), None, []
    for _ in range(5):
        verdict = decide(tat, 0, interval=interval, burst=5)
        tat = verdict.tat_us
        left.append(verdict.remaining)

    assert left == [4, 3, 2, 1, 0]


@given(rates, bursts, gaps)
def test_no_more_than_the_burst_and_the_rate_ever_get_through(rate, burst, gaps_us) -> None:
    calls = run(rate, burst, gaps_us)
    allowed = [at for at, ok in calls if ok]

    for start in allowed:
        window = [at for at in allowed if start <= at]
        for end in window:
            seconds_between = (end - start) / MICROS
            through = sum(1 for at in window if at <= end)
            assert through <= burst + rate * seconds_between + 1e-9


@given(rates, bursts, gaps)
def test_a_refused_call_is_told_exactly_when_to_come_back(rate, burst, gaps_us) -> None:
    interval, tat, now = interval_us(rate), None, 0
    for gap in gaps_us:
        now += gap
        verdict = decide(tat, now, interval=interval, burst=burst)
        if not verdict.allowed:
            too_soon = decide(tat, now + verdict.retry_after_us - 1, interval=interval, burst=burst)
            in_time = decide(tat, now + verdict.retry_after_us, interval=interval, burst=burst)
            assert not too_soon.allowed and in_time.allowed
        tat = verdict.tat_us


@given(rates, bursts, st.integers(min_value=0, max_value=10**7))
def test_after_a_full_reset_an_account_has_its_whole_burst_again(rate, burst, pause) -> None:
    interval, tat = interval_us(rate), None
    for _ in range(burst):
        verdict = decide(tat, 0, interval=interval, burst=burst)
        tat = verdict.tat_us
    back = verdict.reset_us + pause
    verdicts = []
    for _ in range(burst):
        verdicts.append(decide(tat, back, interval=interval, burst=burst))
        tat = verdicts[-1].tat_us

    assert all(v.allowed for v in verdicts)


def test_header_seconds_round_up_so_a_client_never_comes_back_too_early() -> None:
    assert (seconds(1), seconds(MICROS), seconds(MICROS + 1)) == (1, 1, 2)
