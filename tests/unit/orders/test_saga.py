"""The saga's control flow, with its steps and DBOS's waits replaced by a script: every
branch of `OrderSaga` runs here in milliseconds, without DBOS or Postgres.

Each test scripts what the steps answer and checks which steps ran, in which order and
with what, so that a broken branch (a compensation skipped or run in the wrong order, a
cancellation ignored, a wait of the wrong length) fails it."""

import datetime as dt
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from fabrika.contracts.orders import Customer, Item, OrderStatus, Submission
from fabrika.core.settings import get_settings
from fabrika.orders import saga as saga_module
from fabrika.orders.saga import PERSIST_ATTEMPTS, PERSIST_PAUSE_S, OrderSaga

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
QUOTE = {
    "total": 120.0,
    "currency": "EUR",
    "production_hours": 1.5,
    "ready_by": "2026-12-04",
    "catalog_version": 1,
    "lines": [],
}
DONE_JOB = {"id": "order-x", "status": "done", "quote": QUOTE}
RUNNING_JOB = {"id": "order-x", "status": "running", "progress": {"done": 0, "total": 2}}
REFUSED = {"ok": False, "code": "no_capacity", "detail": "No machine is free in time."}
REGISTERED = {"ok": True, "status": "REGISTERED", "cancel_requested_by": None}


def order(channel: str = "shop", *, price_limit: float | None = None) -> Submission:
    return Submission(
        order_id=uuid.uuid4(),
        channel=channel,
        customer=Customer(email="anna@example.com", name="Anna", language="en"),
        items=[Item(material="pla", process="fdm", quantity=1, dimensions_mm=(10, 10, 10))],
        submitted_at=NOW,
        deadline_at=NOW + dt.timedelta(hours=26),
        account_id=uuid.uuid4() if channel == "b2b" else None,
        price_limit=price_limit,
    )


def opened(**changes: Any) -> dict[str, Any]:
    """open_order's outcome for a shop order priced at once and waiting for its customer."""
    return {
        **REGISTERED,
        "status": "QUOTED",
        "quote": DONE_JOB,
        "quoted_at": NOW.isoformat(),
        "confirm_by": (NOW + dt.timedelta(hours=2)).isoformat(),
        "quoted": True,
        "accepted": False,
        **changes,
    }


def acceptance(**changes: Any) -> dict[str, Any]:
    job = {"order_id": "x", "status": "queued"}
    return {"ok": True, "job": job, "recorded": True, **changes}


class StepFailed(Exception):
    """A step whose retries are exhausted (what DBOS raises after the last attempt)."""


Answer = dict[str, Any] | Exception | Callable[[], Any]


@dataclass
class ScriptedRuntime:
    """The saga's runtime: each step answers from its script, in order, and every call is
    recorded as (step, arguments). A script entry may be an outcome, an exception to
    raise, or a function giving the outcome."""

    script: dict[str, deque[Answer]] = field(default_factory=dict)
    decisions: deque[dict[str, Any] | None] = field(default_factory=deque)
    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def answers(self, step: str, *outcomes: Answer) -> "ScriptedRuntime":
        self.script.setdefault(step, deque()).extend(outcomes)
        return self

    def decide(self, *messages: dict[str, Any] | None) -> "ScriptedRuntime":
        self.decisions.extend(messages)
        return self

    @property
    def steps(self) -> list[str]:
        return [name for name, _ in self.calls]

    def args_of(self, step: str) -> tuple[Any, ...]:
        return next(args for name, args in self.calls if name == step)

    async def _step(self, name: str, *args: Any) -> Any:
        self.calls.append((name, args))
        answers = self.script.get(name)
        answer = answers.popleft() if answers else self._default(name)
        if isinstance(answer, Exception):
            raise answer
        return answer() if callable(answer) else answer

    @staticmethod
    def _default(name: str) -> Any:
        if name in ("release_capacity",):
            return None
        if name in ("end_cancelled",):
            return {"ok": True}
        if name == "record_accepted":
            return {**REGISTERED, "status": "ACCEPTED"}
        if name == "record_status":
            return {**REGISTERED, "status": "QUOTED"}
        raise AssertionError(f"the script has no answer for {name}")

    async def open_order(self, deadline_at: str, submission: Any, email: Any) -> Any:
        return await self._step("open_order", deadline_at, submission, email)

    async def record_status(
        self, deadline_at: str, order_id: str, transitions: Any, email: Any
    ) -> Any:
        return await self._step("record_status", deadline_at, order_id, transitions, email)

    async def quote_in_mes(self, deadline_at: str, submission: Any) -> Any:
        return await self._step("quote_in_mes", deadline_at, submission)

    async def quote_job_state(self, deadline_at: str, job_id: str) -> Any:
        return await self._step("quote_job_state", deadline_at, job_id)

    async def accept_into_production(self, deadline_at: str, order_id: str, *rest: Any) -> Any:
        return await self._step("accept_into_production", deadline_at, order_id, *rest)

    async def record_accepted(self, order_id: str, email: Any) -> Any:
        return await self._step("record_accepted", order_id, email)

    async def release_capacity(self, order_id: str) -> Any:
        return await self._step("release_capacity", order_id)

    async def end_cancelled(self, order_id: str, code: str, detail: str, email: Any) -> Any:
        return await self._step("end_cancelled", order_id, code, detail, email)

    async def clock(self) -> str:
        self.calls.append(("clock", ()))
        return NOW.isoformat()

    async def recv(self, timeout_s: float) -> dict[str, Any] | None:
        self.waits.append(timeout_s)
        return self.decisions.popleft() if self.decisions else None

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def run(submission: Submission, runtime: ScriptedRuntime) -> OrderStatus:
    saga = OrderSaga(submission, submission.model_dump(mode="json"), runtime)
    return await saga.execute()


def cancelled_with(runtime: ScriptedRuntime) -> tuple[str, str]:
    """The reason code and the customer's email event of the saga's cancellation."""
    _, code, _, email = runtime.args_of("end_cancelled")
    return code, email["event"] if email else None


CONFIRM = {"decision": "confirm", "by": "customer"}


# The paths to ACCEPTED


async def test_a_shop_order_priced_at_once_waits_for_its_customer_then_is_accepted() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", acceptance()).decide(CONFIRM)

    assert await run(order(), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps == ["open_order", "accept_into_production"]
    # The customer had until the confirmation deadline open_order recorded: two hours.
    assert runtime.waits == [2 * 3600]
    _, _, transitions, _, email = runtime.args_of("accept_into_production")
    assert transitions == [{"status": "CONFIRMED"}]
    assert email["event"] == "accepted" and email["params"]["price"] == "120.00"


async def test_a_quote_that_needs_a_job_is_followed_with_growing_pauses() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=RUNNING_JOB, quoted=False))
    runtime.answers(
        "quote_job_state",
        {"ok": True, **RUNNING_JOB},
        {"ok": True, **RUNNING_JOB},
        {"ok": True, **DONE_JOB},
    )
    runtime.answers("accept_into_production", acceptance()).decide(None, None, None, CONFIRM)

    assert await run(order(), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps == [
        "open_order",
        "quote_job_state",
        "quote_job_state",
        "quote_job_state",
        "clock",
        "record_status",
        "accept_into_production",
    ]
    settings = get_settings()
    assert runtime.waits == [0.05, 0.1, 0.2, settings.confirm_timeout_s]
    _, _, transitions, email = runtime.args_of("record_status")
    assert [t["status"] for t in transitions] == ["QUOTED"]
    assert email["event"] == "quoted"


async def test_a_quote_mes_could_not_give_at_once_is_asked_for_again() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, **DONE_JOB})
    runtime.answers("accept_into_production", acceptance()).decide(CONFIRM)

    assert await run(order(), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps[:4] == ["open_order", "quote_in_mes", "clock", "record_status"]


async def test_a_b2b_order_within_its_limit_is_accepted_in_its_first_step() -> None:
    accepted = opened(status="ACCEPTED", accepted=True, **acceptance())
    runtime = ScriptedRuntime().answers("open_order", accepted)

    assert await run(order("b2b", price_limit=500), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps == ["open_order"]
    assert runtime.waits == []


async def test_an_acceptance_the_crm_did_not_record_is_recorded_with_the_quote_s_price() -> None:
    accepted = opened(status="CONFIRMED", accepted=True, **acceptance(recorded=False))
    runtime = ScriptedRuntime().answers("open_order", accepted)

    assert await run(order("b2b", price_limit=500), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps == ["open_order", "record_accepted"]
    _, email = runtime.args_of("record_accepted")
    assert email["event"] == "accepted" and email["params"]["price"] == "120.00"


async def test_a_b2b_order_quoted_later_confirms_itself_within_its_limit() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, **DONE_JOB})
    runtime.answers("accept_into_production", acceptance())

    assert await run(order("b2b", price_limit=500), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps == [
        "open_order",
        "quote_in_mes",
        "record_status",
        "accept_into_production",
    ]
    _, _, transitions, email = runtime.args_of("record_status")
    assert [t["status"] for t in transitions] == ["QUOTED", "CONFIRMED"]
    assert email is None  # partners follow their orders through the API
    assert runtime.waits == []


# Refusals and compensation


async def test_a_shop_order_refused_when_opened_is_cancelled_with_nothing_to_release() -> None:
    runtime = ScriptedRuntime().answers("open_order", {**REFUSED, "code": "deadline_exceeded"})

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == ["open_order", "end_cancelled"]
    assert cancelled_with(runtime) == ("deadline_exceeded", "cancelled")


async def test_a_b2b_order_refused_in_its_first_step_gives_back_machine_time_first() -> None:
    runtime = ScriptedRuntime().answers("open_order", REFUSED)

    assert await run(order("b2b", price_limit=500), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == ["open_order", "release_capacity", "end_cancelled"]
    assert cancelled_with(runtime) == ("no_capacity", "cancelled")


async def test_a_refused_quote_cancels_the_order_with_the_quote_s_reason() -> None:
    refused_job = {
        "id": "order-x",
        "status": "refused",
        "error": {"code": "no_machine_fits", "detail": "Too large."},
    }
    runtime = ScriptedRuntime().answers("open_order", opened(quote=refused_job, quoted=False))

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == ["open_order", "end_cancelled"]
    _, code, detail, email = runtime.args_of("end_cancelled")
    assert (code, detail) == ("no_machine_fits", "Too large.")
    assert email["params"]["reason_code"] == "no_machine_fits"


async def test_a_failed_quote_job_cancels_with_a_general_reason() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, "id": "order-x", "status": "failed"})

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert cancelled_with(runtime) == ("quote_failed", "cancelled")


async def test_a_refused_acceptance_releases_machine_time_then_cancels_in_the_crm() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", REFUSED).decide(CONFIRM)

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == [
        "open_order",
        "accept_into_production",
        "release_capacity",
        "end_cancelled",
    ]
    assert cancelled_with(runtime) == ("no_capacity", "cancelled")


async def test_a_step_whose_retries_ran_out_cancels_with_a_readable_reason() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", StepFailed("MES away")).decide(CONFIRM)

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps[-2:] == ["release_capacity", "end_cancelled"]
    assert cancelled_with(runtime)[0] == "service_unavailable"


async def test_a_b2b_quote_over_the_account_s_limit_is_recorded_then_refused() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, **DONE_JOB})

    assert await run(order("b2b", price_limit=100), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == [
        "open_order",
        "quote_in_mes",
        "record_status",
        "release_capacity",
        "end_cancelled",
    ]
    _, _, transitions, _ = runtime.args_of("record_status")
    assert [t["status"] for t in transitions] == ["QUOTED"]
    _, code, detail, _ = runtime.args_of("end_cancelled")
    assert code == "over_price_limit" and "100.00 EUR" in detail


# Cancellation, time-outs


async def test_the_customer_cancelling_while_the_price_is_calculated_stops_the_saga() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=RUNNING_JOB, quoted=False))
    runtime.decide({"decision": "cancel", "by": "customer"})

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == ["open_order", "end_cancelled"]
    assert cancelled_with(runtime) == ("customer_cancelled", "cancelled")


async def test_an_operator_cancelling_while_the_customer_decides_is_named_as_such() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.decide({"decision": "cancel", "by": "operator"})

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == ["open_order", "end_cancelled"]
    assert cancelled_with(runtime)[0] == "operator_cancelled"


async def test_no_answer_by_the_confirmation_deadline_cancels_the_order() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.waits == [2 * 3600]
    assert cancelled_with(runtime) == ("confirmation_timeout", "cancelled")


async def test_a_cancellation_the_crm_noted_is_honoured_at_the_next_crm_write() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    noted = {**REGISTERED, "status": "CONFIRMED", "cancel_requested_by": "operator"}
    runtime.answers("accept_into_production", {**noted, "recorded": False}).decide(CONFIRM)

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps[-2:] == ["release_capacity", "end_cancelled"]
    assert cancelled_with(runtime)[0] == "operator_cancelled"


async def test_a_cancellation_noted_before_the_order_was_opened_stops_it_at_once() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(cancel_requested_by="customer"))

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == ["open_order", "end_cancelled"]
    assert runtime.waits == []


# Steps that must happen


async def test_a_compensation_that_fails_is_retried_every_half_minute_until_it_succeeds() -> None:
    runtime = ScriptedRuntime().answers("open_order", REFUSED)
    runtime.answers("end_cancelled", StepFailed("CRM away"), StepFailed("CRM away"), {"ok": True})

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.steps == ["open_order", *["end_cancelled"] * 3]
    assert runtime.sleeps == [PERSIST_PAUSE_S] * 2


async def test_a_step_that_must_happen_is_left_to_the_operators_after_its_last_attempt() -> None:
    abandoned = saga_module.ABANDONED.labels("record_accepted")
    before = abandoned._value.get()
    accepted = opened(status="CONFIRMED", accepted=True, **acceptance(recorded=False))
    runtime = ScriptedRuntime().answers("open_order", accepted)
    runtime.answers("record_accepted", *[StepFailed("CRM away")] * PERSIST_ATTEMPTS)

    assert await run(order("b2b", price_limit=500), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps.count("record_accepted") == PERSIST_ATTEMPTS
    assert runtime.sleeps == [PERSIST_PAUSE_S] * PERSIST_ATTEMPTS
    assert abandoned._value.get() == before + 1
    # Production has the order: nothing was compensated.
    assert "release_capacity" not in runtime.steps and "end_cancelled" not in runtime.steps


@pytest.mark.parametrize("failing_at", ["open_order", "accept_into_production"])
async def test_every_compensation_runs_once_in_reverse_order(failing_at: str) -> None:
    runtime = ScriptedRuntime()
    if failing_at == "open_order":
        runtime.answers("open_order", REFUSED)
    else:
        runtime.answers("open_order", opened(quote=None, quoted=False))
        runtime.answers("quote_in_mes", {"ok": True, **DONE_JOB})
        runtime.answers("accept_into_production", REFUSED)

    await run(order("b2b", price_limit=500), runtime)

    compensations = [s for s in runtime.steps if s in ("release_capacity", "end_cancelled")]
    assert compensations == ["release_capacity", "end_cancelled"]
