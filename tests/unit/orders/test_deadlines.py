import datetime as dt

from fabrika.core.settings import get_settings
from fabrika.orders.steps import past_deadline


def at(seconds_from_now: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)).isoformat()


def test_forward_work_stops_when_only_the_compensation_reserve_is_left() -> None:
    reserve = get_settings().compensation_reserve_s
    assert past_deadline(at(reserve - 1))
    assert not past_deadline(at(reserve + 60))


def test_a_deadline_already_gone_is_past() -> None:
    assert past_deadline(at(-1))
