"""How a customer's or operator's cancellation reaches the CRM and the saga."""

import datetime as dt
import uuid

import pytest

from fabrika.contracts.orders import OrderStatus
from fabrika.core.errors import Conflict, NotFound, Problem
from fabrika.core.http import ServiceError
from fabrika.crm.schemas import OrderState
from fabrika.orders.client import request_cancellation


class FakeCrm:
    def __init__(self, answer: OrderState | ServiceError) -> None:
        self.answer = answer
        self.asked: list[str] = []

    async def request_cancellation(self, order_id: uuid.UUID, *, by: str) -> OrderState:
        self.asked.append(by)
        if isinstance(self.answer, ServiceError):
            raise self.answer
        return self.answer


class FakeSagas:
    def __init__(self, started: bool = True) -> None:
        self.started = started
        self.decisions: list[tuple[str, str]] = []

    async def submitted_at(self, order_id: uuid.UUID) -> dt.datetime | None:
        return dt.datetime.now(dt.UTC) if self.started else None

    async def decide(self, order_id: uuid.UUID, decision: str, *, by: str) -> None:
        self.decisions.append((decision, by))


ORDER = uuid.uuid4()


async def test_a_noted_cancellation_also_wakes_the_saga() -> None:
    crm = FakeCrm(OrderState(id=ORDER, status=OrderStatus.QUOTED, cancel_requested_by="customer"))
    sagas = FakeSagas()
    state = await request_cancellation(crm, sagas, ORDER, by="customer")
    assert state.cancel_requested_by == "customer"
    assert crm.asked == ["customer"] and sagas.decisions == [("cancel", "customer")]


async def test_a_refused_cancellation_is_passed_on_and_the_saga_is_left_alone() -> None:
    too_late = ServiceError(
        "409",
        status=409,
        problem={"type": "https://fabrika.dev/problems/conflict", "detail": "Too late."},
    )
    sagas = FakeSagas()
    with pytest.raises(Problem) as refused:
        await request_cancellation(FakeCrm(too_late), sagas, ORDER, by="operator")
    assert refused.value.status == 409 and refused.value.detail == "Too late."
    assert sagas.decisions == []


async def test_an_order_still_being_registered_is_asked_to_wait_a_moment() -> None:
    unknown = ServiceError("404", status=404, problem={"detail": "There is no order."})
    with pytest.raises(Conflict) as wait:
        await request_cancellation(FakeCrm(unknown), FakeSagas(started=True), ORDER, by="customer")
    assert wait.value.headers == {"Retry-After": "1"}


async def test_an_order_nobody_submitted_is_not_found() -> None:
    unknown = ServiceError("404", status=404, problem={"detail": "There is no order."})
    with pytest.raises(NotFound):
        await request_cancellation(FakeCrm(unknown), FakeSagas(started=False), ORDER, by="customer")
