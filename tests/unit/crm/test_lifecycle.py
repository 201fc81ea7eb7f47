import pytest

from fabrika.crm.lifecycle import TransitionRefused, already_reached, check_transition
from fabrika.orders.schemas import OrderStatus as S


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NEW, S.REGISTERED),
        (S.REGISTERED, S.QUOTED),
        (S.QUOTED, S.CONFIRMED),
        (S.CONFIRMED, S.RESERVED),
        (S.RESERVED, S.ACCEPTED),
    ],
)
def test_the_happy_path_moves_one_step_at_a_time(current: S, target: S) -> None:
    check_transition(current, target)


@pytest.mark.parametrize("current", [S.NEW, S.REGISTERED, S.QUOTED, S.CONFIRMED, S.RESERVED])
def test_every_open_order_can_be_cancelled(current: S) -> None:
    check_transition(current, S.CANCELLED)


def test_an_order_cannot_skip_confirmation() -> None:
    with pytest.raises(TransitionRefused, match="QUOTED cannot become RESERVED"):
        check_transition(S.QUOTED, S.RESERVED)


@pytest.mark.parametrize("terminal", [S.ACCEPTED, S.CANCELLED])
def test_a_finished_order_never_changes(terminal: S) -> None:
    with pytest.raises(TransitionRefused, match="already"):
        check_transition(terminal, S.CANCELLED if terminal == S.ACCEPTED else S.ACCEPTED)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.CONFIRMED, S.QUOTED), (S.CONFIRMED, S.CONFIRMED), (S.ACCEPTED, S.REGISTERED)],
)
def test_a_status_passed_already_counts_as_recorded(current: S, target: S) -> None:
    assert already_reached(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.QUOTED, S.CONFIRMED), (S.CANCELLED, S.QUOTED), (S.RESERVED, S.CANCELLED)],
)
def test_a_status_not_passed_yet_is_not_recorded(current: S, target: S) -> None:
    assert not already_reached(current, target)
