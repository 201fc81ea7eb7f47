import datetime as dt

import pytest

from fabrika.mes.capacity import Demand, NoCapacity, plan_slots

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def test_a_free_machine_starts_now() -> None:
    [slot] = plan_slots([Demand("fdm-1", 5)], {}, now=NOW, due_date=None)
    assert (slot.starts_at, slot.ends_at) == (NOW, NOW + dt.timedelta(hours=5))


def test_a_busy_machine_starts_after_its_last_booking() -> None:
    busy_until = NOW + dt.timedelta(hours=30)
    [slot] = plan_slots([Demand("fdm-1", 2)], {"fdm-1": busy_until}, now=NOW, due_date=None)
    assert slot.starts_at == busy_until


def test_two_lines_on_one_machine_run_one_after_the_other() -> None:
    first, second = plan_slots([Demand("sla-1", 3), Demand("sla-1", 4)], {}, now=NOW, due_date=None)
    assert second.starts_at == first.ends_at


def test_a_booking_in_the_past_does_not_move_the_start_before_now() -> None:
    [slot] = plan_slots(
        [Demand("fdm-1", 1)], {"fdm-1": NOW - dt.timedelta(days=2)}, now=NOW, due_date=None
    )
    assert slot.starts_at == NOW


def test_an_order_that_cannot_be_ready_by_its_due_date_is_refused() -> None:
    busy_until = NOW + dt.timedelta(days=10)
    with pytest.raises(NoCapacity, match="earliest date is 2026-12-05"):
        plan_slots(
            [Demand("fdm-1", 1)], {"fdm-1": busy_until}, now=NOW, due_date=dt.date(2026, 12, 1)
        )


def test_an_order_ready_the_day_before_its_due_date_fits() -> None:
    slots = plan_slots([Demand("fdm-1", 2)], {}, now=NOW, due_date=dt.date(2026, 11, 25))
    assert len(slots) == 1
