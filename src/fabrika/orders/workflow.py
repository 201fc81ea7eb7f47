"""The order saga as one durable workflow: steps top to bottom, compensations beside them.

register in CRM (compensation: cancel there) → quote in MES → wait for the customer's
confirmation → reserve capacity (compensation: release) → accept into production. Every
status change is recorded in the CRM, and the customer is emailed where it matters
(emails.py). The order's deadline bounds every wait and every step. The customer or an
operator may cancel until the order is CONFIRMED: the request is noted in the CRM, whose
answer to the saga's next write says so, and wakes a saga that is waiting. Whatever
happens, the saga ends ACCEPTED or CANCELLED with a reason.

A DBOS step costs a few milliseconds of CPU, so steps are few: a step may make more than
one call when each call is idempotent (keyed by the order), and cancellation is read from
the CRM's answers instead of at separate checkpoints. An order MES prices at once is
registered with its quote (and, from a B2B account within its limit, confirmed) in one
step; another has MES reserve and accept in one transaction and records RESERVED and
ACCEPTED. A B2B order confirmed at once does both in its first step: one step, and two CRM
writes, from submission to ACCEPTED.
"""

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from dbos import DBOS
from prometheus_client import Counter

from fabrika.orders import steps
from fabrika.orders.client import DECISION_TOPIC, WORKFLOW_NAME
from fabrika.orders.confirmation import confirm_by, over_price_limit, price_of, quote_transitions
from fabrika.orders.emails import email_for
from fabrika.orders.schemas import OrderStatus, Submission

log = structlog.get_logger()

# Counted when the workflow code runs: a saga recovered mid-way may count its start twice.
SAGAS_STARTED = Counter("fabrika_sagas_started", "Order sagas started (or resumed)", ["channel"])
SAGAS_ENDED = Counter("fabrika_sagas_ended", "Order sagas that ended", ["outcome", "reason"])
COMPENSATIONS = Counter("fabrika_saga_compensations", "Compensations run", ["compensation"])
Compensation = Callable[[str, str], Awaitable[None]]
PERSIST_ATTEMPTS = 120
CANCELLED_BY = {
    "customer": ("customer_cancelled", "You cancelled the order."),
    "operator": ("operator_cancelled", "An operator cancelled the order."),
}


class SagaFailed(Exception):
    """A step was refused or kept failing; the saga compensates with this reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@DBOS.workflow(name=WORKFLOW_NAME)
async def order_saga(submission: dict) -> str:
    order = Submission.model_validate(submission)
    SAGAS_STARTED.labels(order.channel).inc()
    saga = OrderSaga(order, submission)
    try:
        await saga.run()
    except SagaFailed as failure:
        await saga.compensate(failure.code, failure.detail)
        SAGAS_ENDED.labels("cancelled", failure.code).inc()
        return OrderStatus.CANCELLED
    SAGAS_ENDED.labels("accepted", "").inc()
    return OrderStatus.ACCEPTED


class OrderSaga:
    """The steps of one order's saga and the compensations its completed steps need."""

    def __init__(self, order: Submission, submission: dict) -> None:
        self.order = order
        self.submission = submission
        self.id = str(order.order_id)
        self.deadline = order.deadline_at.isoformat()
        self.compensations: list[Compensation] = []
        self.price: dict[str, Any] = {}

    async def run(self) -> None:
        registered = self.email(OrderStatus.REGISTERED)
        if self.order.channel == "b2b":  # may be reserved and accepted in its first step
            self.release_on_failure()
        opened = await self.registry_step(
            steps.open_order(self.deadline, self.submission, registered)
        )
        if opened["accepted"]:
            await self.finish_acceptance(opened)
            return
        quote = await self.quote(opened["quote"])
        self.price = price_of(quote)
        unrecorded = await self.await_confirmation(quote, opened)

        self.release_on_failure()
        due = self.order.due_date.isoformat() if self.order.due_date else None
        accepted = self.email(OrderStatus.ACCEPTED, quote=quote)
        outcome = await self.registry_step(
            steps.accept_into_production(self.deadline, self.id, unrecorded, due, accepted)
        )
        await self.finish_acceptance(outcome, accepted)

    def release_on_failure(self) -> None:
        """Called before a step in which MES may hold machine time: should the step fail
        after that, the time must be given back. Releasing nothing is harmless; it is
        registered once."""
        if self.release_capacity not in self.compensations:
            self.compensations.append(self.release_capacity)

    async def finish_acceptance(
        self, outcome: dict[str, Any], email: dict[str, Any] | None = None
    ) -> None:
        """MES has the order now: from here on nothing compensates it, and the CRM must
        learn it however long it is away."""
        if outcome["recorded"]:
            return
        if email is None:  # accepted in the first step: the quote came with it
            quote = outcome["quote"]["quote"]
            self.price = price_of(quote)
            email = self.email(OrderStatus.ACCEPTED, quote=quote)
        await self.persist(lambda: steps.record_accepted(self.id, email))

    async def quote(self, job: dict[str, Any] | None) -> dict[str, Any]:
        """MES's quote: mostly given when the order was opened, else a job followed until
        it ends, or asked for again when MES could not answer then."""
        if job is None:
            job = await self.must(steps.quote_in_mes(self.deadline, self.submission))
        pause = 0.05
        while job["status"] in ("queued", "running"):
            self.on_decision(await DBOS.recv_async(DECISION_TOPIC, timeout_seconds=pause))
            pause = min(pause * 2, 2.0)
            job = await self.must(steps.quote_job_state(self.deadline, job["id"]))
        if job["status"] != "done":
            error = job.get("error") or {}
            raise SagaFailed(
                error.get("code") or "quote_failed",
                error.get("detail") or "The price could not be calculated.",
            )
        return job["quote"]

    async def await_confirmation(self, quote: dict, opened: dict[str, Any]) -> list[dict]:
        """B2B orders confirm themselves within their account's limit; a shop customer has
        until `confirm_by` to confirm. `opened["quoted"]`: the quote was recorded (and the
        customer emailed) when the order was opened. Returns the transitions still to
        record: a shop customer's CONFIRMED goes with the next CRM write."""
        recorded = opened["quoted"]
        if self.order.channel == "b2b":
            if not recorded:
                await self.record(quote_transitions(self.order, quote))
            if excess := over_price_limit(self.order, quote):
                raise SagaFailed("over_price_limit", excess)
            return []
        if recorded:
            now = dt.datetime.fromisoformat(opened["quoted_at"])
            deadline = dt.datetime.fromisoformat(opened["confirm_by"])
        else:
            now = dt.datetime.fromisoformat(await steps.clock())
            deadline = confirm_by(self.order, now)
            email = self.email(OrderStatus.QUOTED, quote=quote, deadline=deadline.isoformat())
            await self.record(quote_transitions(self.order, quote), email)
        wait_s = max((deadline - now).total_seconds(), 0.0)
        message = await DBOS.recv_async(DECISION_TOPIC, timeout_seconds=wait_s)
        if message is None:
            raise SagaFailed(
                "confirmation_timeout",
                "The price was not confirmed before the confirmation deadline.",
            )
        self.on_decision(message)
        if message.get("decision") != "confirm":
            raise SagaFailed("customer_cancelled", "You cancelled the order.")
        return [{"status": OrderStatus.CONFIRMED}]

    def on_decision(self, message: dict | None) -> None:
        if message and message.get("decision") == "cancel":
            self.cancelled_by(message.get("by", ""))

    def cancelled_by(self, who: str) -> None:
        raise SagaFailed(*CANCELLED_BY.get(who, CANCELLED_BY["customer"]))

    async def must_answer(self, outcome: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        """Run a step; exhausted retries fail the saga with a readable reason."""
        try:
            return await outcome
        except Exception as exc:  # retries exhausted: the order must still end, not hang
            log.error("saga step failed", order_id=self.id, error=repr(exc))
            raise SagaFailed(
                "service_unavailable",
                "A system needed to process the order was unavailable for too long.",
            ) from exc

    async def must(self, outcome: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        """Run a step; a refusal or exhausted retries fail the saga with a readable reason."""
        result = await self.must_answer(outcome)
        if not result.get("ok"):
            raise SagaFailed(result["code"], result["detail"])
        return result

    async def registry_step(self, outcome: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        """Run a step that writes to the CRM, whose answer also tells whether the customer
        or an operator asked to cancel: each such step is where a cancellation is honoured."""
        result = await self.must(outcome)
        if who := result.get("cancel_requested_by"):
            self.cancelled_by(who)
        return result

    async def record(self, transitions: list[dict[str, Any]], email: dict | None = None) -> None:
        """Record status changes in CRM and email the customer, in one step."""
        await self.registry_step(steps.record_status(self.deadline, self.id, transitions, email))

    def email(self, status: OrderStatus, **extra: Any) -> dict[str, Any] | None:
        """The email for this status, or None where this channel's customers get none."""
        return email_for(self.order, status, price=self.price, **extra)

    async def compensate(self, code: str, detail: str) -> None:
        """Undo the completed steps in reverse, then cancel in CRM and tell the customer."""
        log.info("saga compensating", order_id=self.id, reason=code)
        for compensation in reversed(self.compensations):
            await compensation(code, detail)
        COMPENSATIONS.labels("cancel_in_crm").inc()
        email = self.email(OrderStatus.CANCELLED, reason_code=code, reason=detail)
        await self.persist(lambda: steps.end_cancelled(self.id, code, detail, email))

    async def release_capacity(self, code: str, detail: str) -> None:
        COMPENSATIONS.labels("release_capacity").inc()
        await self.persist(lambda: steps.release_capacity(self.id))

    async def persist(self, step: Callable[[], Awaitable[Any]]) -> None:
        """A step that must happen (a compensation, or recording an acceptance): after the
        step's own retries, keep trying every half minute (durably) for up to an hour, then
        leave it to the operators (the order shows on their overdue list)."""
        for _ in range(PERSIST_ATTEMPTS):
            try:
                await step()
                return
            except Exception as exc:
                log.error(
                    "a step that must happen failed, will retry", order_id=self.id, error=repr(exc)
                )
                await DBOS.sleep_async(30)
        log.error(
            "a step that must happen was abandoned; the order needs an operator", order_id=self.id
        )
