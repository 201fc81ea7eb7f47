import pytest

from fabrika.contracts.orders import OrderStatus as S
from fabrika.crm.lifecycle import TransitionRefused, already_reached, check_transition


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


# The whole table, written out as the specification: every pair of statuses is either
# allowed (listed here) or refused, with a message that says why.
ALLOWED = {
    (S.NEW, S.REGISTERED),
    (S.REGISTERED, S.QUOTED),
    (S.QUOTED, S.CONFIRMED),
    (S.CONFIRMED, S.RESERVED),
    (S.RESERVED, S.ACCEPTED),
    (S.NEW, S.CANCELLED),
    (S.REGISTERED, S.CANCELLED),
    (S.QUOTED, S.CANCELLED),
    (S.CONFIRMED, S.CANCELLED),
    (S.RESERVED, S.CANCELLED),
}
EVERY_PAIR = [(current, target) for current in S for target in S]


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_an_allowed_transition_is_taken(current: S, target: S) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"), [pair for pair in EVERY_PAIR if pair not in ALLOWED]
)
def test_every_other_transition_is_refused_saying_why(current: S, target: S) -> None:
    with pytest.raises(TransitionRefused) as refused:
        check_transition(current, target)
    if current in (S.ACCEPTED, S.CANCELLED):
        assert str(refused.value) == f"The order is already {current.value} and cannot change."
    else:
        assert (
            str(refused.value) == f"An order that is {current.value} cannot become {target.value}."
        )


FORWARD = [S.NEW, S.REGISTERED, S.QUOTED, S.CONFIRMED, S.RESERVED, S.ACCEPTED]


def reached_by_spec(current: S, target: S) -> bool:
    """Recording `target` again changes nothing when the order went through it already:
    on the forward path, any status up to the current one; CANCELLED only when cancelled."""
    if S.CANCELLED in (current, target):
        return current == target
    return FORWARD.index(target) <= FORWARD.index(current)


@pytest.mark.parametrize(("current", "target"), EVERY_PAIR)
def test_whether_a_status_was_reached_follows_the_forward_path(current: S, target: S) -> None:
    assert already_reached(current, target) is reached_by_spec(current, target)
