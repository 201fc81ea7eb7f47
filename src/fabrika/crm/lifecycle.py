"""The order state machine: which status may follow which. Pure, no I/O."""

from fabrika.contracts.orders import TERMINAL, OrderStatus

S = OrderStatus
NEXT: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.REGISTERED, S.CANCELLED}),
    S.REGISTERED: frozenset({S.QUOTED, S.CANCELLED}),
    S.QUOTED: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.RESERVED, S.CANCELLED}),
    S.RESERVED: frozenset({S.ACCEPTED, S.CANCELLED}),
    S.ACCEPTED: frozenset(),
    S.CANCELLED: frozenset(),
}


# The forward path, in order; CANCELLED can follow any status but ACCEPTED.
FORWARD = (S.NEW, S.REGISTERED, S.QUOTED, S.CONFIRMED, S.RESERVED, S.ACCEPTED)


class TransitionRefused(ValueError):
    """The order cannot move to the requested status from where it is."""


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    """Raise TransitionRefused unless `target` may follow `current`."""
    if target not in NEXT[current]:
        if current in TERMINAL:
            raise TransitionRefused(f"The order is already {current.value} and cannot change.")
        raise TransitionRefused(f"An order that is {current.value} cannot become {target.value}.")


def already_reached(current: OrderStatus, target: OrderStatus) -> bool:
    """Whether an order at `current` has been through `target` already, so recording
    `target` again (a retried request) must change nothing."""
    if target == S.CANCELLED or current == S.CANCELLED:
        return target == current
    return FORWARD.index(target) <= FORWARD.index(current)
