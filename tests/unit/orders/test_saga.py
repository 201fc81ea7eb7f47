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
from prometheus_client import REGISTRY

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


# What each step is given


async def test_the_order_is_opened_with_its_submission_deadline_and_welcome_email() -> None:
    submission = order()
    runtime = ScriptedRuntime().answers("open_order", opened())

    await run(submission, runtime)

    deadline, sent, email = runtime.args_of("open_order")
    assert deadline == submission.deadline_at.isoformat()
    assert sent == submission.model_dump(mode="json")
    assert email["event"] == "registered"


async def test_every_step_that_calls_another_service_is_bounded_by_the_deadline() -> None:
    submission = order()
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, **RUNNING_JOB})
    runtime.answers("quote_job_state", {"ok": True, **DONE_JOB})
    runtime.answers("accept_into_production", acceptance()).decide(None, CONFIRM)

    await run(submission, runtime)

    bounded = ("quote_in_mes", "quote_job_state", "record_status", "accept_into_production")
    deadlines = {runtime.args_of(step)[0] for step in bounded}
    assert deadlines == {submission.deadline_at.isoformat()}


async def test_a_quote_asked_for_again_is_asked_with_the_order_and_followed_by_its_job() -> None:
    submission = order()
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, **RUNNING_JOB, "id": "job-7"})
    runtime.answers("quote_job_state", {"ok": True, **DONE_JOB})
    runtime.decide(None, CONFIRM).answers("accept_into_production", acceptance())

    await run(submission, runtime)

    assert runtime.args_of("quote_in_mes")[1] == submission.model_dump(mode="json")
    assert runtime.args_of("quote_job_state")[1] == "job-7"


async def test_the_steps_that_record_and_accept_the_order_name_it() -> None:
    submission = order()
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, **DONE_JOB})
    runtime.answers("accept_into_production", acceptance(recorded=False)).decide(CONFIRM)

    await run(submission, runtime)

    order_id = str(submission.order_id)
    assert runtime.args_of("record_status")[1] == order_id
    assert runtime.args_of("accept_into_production")[1] == order_id
    assert runtime.args_of("record_accepted")[0] == order_id


async def test_the_compensations_name_the_order() -> None:
    submission = order("b2b", price_limit=500)
    runtime = ScriptedRuntime().answers("open_order", REFUSED)

    await run(submission, runtime)

    assert runtime.args_of("release_capacity") == (str(submission.order_id),)
    assert runtime.args_of("end_cancelled")[0] == str(submission.order_id)


async def test_production_is_told_the_order_s_due_date() -> None:
    submission = order().model_copy(update={"due_date": dt.date(2026, 12, 10)})
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", acceptance()).decide(CONFIRM)

    await run(submission, runtime)

    _, _, _, due, _ = runtime.args_of("accept_into_production")
    assert due == "2026-12-10"


async def test_an_acceptance_production_could_not_record_is_recorded_with_its_email() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", acceptance(recorded=False)).decide(CONFIRM)

    assert await run(order(), runtime) == OrderStatus.ACCEPTED
    assert runtime.steps == ["open_order", "accept_into_production", "record_accepted"]
    _, email = runtime.args_of("record_accepted")
    assert email["event"] == "accepted" and email["params"]["ready_by"] == "2026-12-04"


async def test_a_long_quote_job_is_polled_at_most_every_two_seconds() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=RUNNING_JOB, quoted=False))
    runtime.answers("quote_job_state", *[{"ok": True, **RUNNING_JOB}] * 7, {"ok": True, **DONE_JOB})
    runtime.answers("accept_into_production", acceptance()).decide(*[None] * 8, CONFIRM)

    await run(order(), runtime)

    assert runtime.waits[:8] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


# What the customer is told


async def test_the_price_email_tells_the_customer_until_when_to_confirm_and_when_it_is_ready() -> (
    None
):
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    runtime.answers("quote_in_mes", {"ok": True, **DONE_JOB})

    await run(order(), runtime)

    _, _, _, email = runtime.args_of("record_status")
    confirm_by = NOW + dt.timedelta(seconds=get_settings().confirm_timeout_s)
    assert email["params"]["deadline"] == f"{confirm_by:%Y-%m-%d %H:%M} UTC"
    assert email["params"]["ready_by"] == "2026-12-04"


async def test_an_order_accepted_when_opened_is_told_when_its_parts_are_ready() -> None:
    accepted = opened(status="CONFIRMED", accepted=True, **acceptance(recorded=False))
    runtime = ScriptedRuntime().answers("open_order", accepted)

    await run(order("b2b", price_limit=500), runtime)

    _, email = runtime.args_of("record_accepted")
    assert email["params"]["ready_by"] == "2026-12-04"


async def test_an_order_accepted_into_production_is_told_when_its_parts_are_ready() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", acceptance()).decide(CONFIRM)

    await run(order(), runtime)

    *_, email = runtime.args_of("accept_into_production")
    assert email["params"]["ready_by"] == "2026-12-04"


async def test_a_refusal_s_reason_is_what_the_cancellation_email_tells() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", REFUSED).decide(CONFIRM)

    await run(order(), runtime)

    _, code, detail, email = runtime.args_of("end_cancelled")
    assert (code, detail) == ("no_capacity", "No machine is free in time.")
    assert email["params"]["reason"] == "No machine is free in time."


@pytest.mark.parametrize(
    ("script", "code", "detail"),
    [
        (
            {"quote_in_mes": {"ok": True, "id": "order-x", "status": "failed"}},
            "quote_failed",
            "The price could not be calculated.",
        ),
        (
            {"quote_in_mes": {"ok": True, "id": "order-x", "status": "done"}},
            "quote_failed",
            "The price could not be calculated.",
        ),
        (
            {"quote_in_mes": StepFailed("MES away")},
            "service_unavailable",
            "A system needed to process the order was unavailable for too long.",
        ),
        (
            {"quote_in_mes": {"ok": True, **DONE_JOB}},
            "confirmation_timeout",
            "The price was not confirmed before the confirmation deadline.",
        ),
    ],
    ids=["job-failed", "job-done-without-quote", "mes-unavailable", "not-confirmed"],
)
async def test_a_cancellation_tells_the_customer_why_in_words(
    script: dict[str, Answer], code: str, detail: str
) -> None:
    runtime = ScriptedRuntime().answers("open_order", opened(quote=None, quoted=False))
    for step, answer in script.items():
        runtime.answers(step, answer)

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    _, cancelled_code, cancelled_detail, email = runtime.args_of("end_cancelled")
    assert (cancelled_code, cancelled_detail) == (code, detail)
    assert email["params"]["reason"] == detail


# Decisions


async def test_a_confirmation_deadline_already_passed_is_not_waited_for() -> None:
    late = opened(confirm_by=(NOW - dt.timedelta(minutes=5)).isoformat())
    runtime = ScriptedRuntime().answers("open_order", late)

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert runtime.waits == [0.0]


async def test_a_decision_the_saga_does_not_understand_is_not_a_confirmation() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened()).decide({"decision": "maybe"})

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert cancelled_with(runtime)[0] == "customer_cancelled"


async def test_a_cancellation_that_does_not_say_who_asked_is_the_customer_s() -> None:
    runtime = ScriptedRuntime().answers("open_order", opened()).decide({"decision": "cancel"})

    assert await run(order(), runtime) == OrderStatus.CANCELLED
    assert cancelled_with(runtime) == ("customer_cancelled", "cancelled")


# What operators see


async def test_a_cancelled_saga_keeps_its_reason_code_for_the_operators_metrics() -> None:
    submission = order()
    saga = OrderSaga(
        submission,
        submission.model_dump(mode="json"),
        ScriptedRuntime().answers("open_order", REFUSED),
    )

    await saga.execute()

    assert saga.failure_code == "no_capacity"


async def test_an_accepted_saga_has_no_reason_code() -> None:
    submission = order()
    runtime = ScriptedRuntime().answers("open_order", opened())
    runtime.answers("accept_into_production", acceptance()).decide(CONFIRM)
    saga = OrderSaga(submission, submission.model_dump(mode="json"), runtime)

    await saga.execute()

    assert saga.failure_code is None


def counted(metric: str, **labels: str) -> float:
    """A saga counter's value as Prometheus scrapes it (0 before its first count)."""
    return REGISTRY.get_sample_value(f"{metric}_total", labels) or 0.0


async def test_each_compensation_run_is_counted_by_its_name() -> None:
    names = ("release_capacity", "cancel_in_crm")
    before = [counted("fabrika_saga_compensations", compensation=name) for name in names]
    runtime = ScriptedRuntime().answers("open_order", REFUSED)

    await run(order("b2b", price_limit=500), runtime)

    after = [counted("fabrika_saga_compensations", compensation=name) for name in names]
    assert after == [count + 1 for count in before]


@pytest.mark.parametrize("step", ["release_capacity", "end_cancelled"])
async def test_a_compensation_left_to_the_operators_is_counted_by_its_step(step: str) -> None:
    before = counted("fabrika_saga_steps_abandoned", step=step)
    runtime = ScriptedRuntime().answers("open_order", REFUSED)
    runtime.answers(step, *[StepFailed("away")] * PERSIST_ATTEMPTS)

    assert await run(order("b2b", price_limit=500), runtime) == OrderStatus.CANCELLED
    assert counted("fabrika_saga_steps_abandoned", step=step) == before + 1
