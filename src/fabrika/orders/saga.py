"""The order saga's control flow: steps top to bottom, compensations beside them.

register in CRM (compensation: cancel there) → quote in MES → wait for the customer's
confirmation → reserve capacity (compensation: release) → accept into production. Every
status change is recorded in the CRM, and the customer is emailed where it matters
(emails.py). The order's deadline bounds every wait and every step. The customer or an
operator may cancel until the order is CONFIRMED: the request is noted in the CRM, whose
answer to the saga's next write says so, and wakes a saga that is waiting. Whatever
happens, the saga ends ACCEPTED or CANCELLED with a reason; a step that must happen and
cannot for an hour is left to the operators (the order then shows on their overdue list).

A DBOS step costs a few milliseconds of CPU, so steps are few: a step may make more than
one call when each call is idempotent (keyed by the order), and cancellation is read from
the CRM's answers instead of at separate checkpoints. An order MES prices at once is
registered with its quote (and, from a B2B account within its limit, confirmed) in one
step; another has MES reserve and accept in one transaction and records RESERVED and
ACCEPTED. A B2B order confirmed at once does both in its first step: one step, and two CRM
writes, from submission to ACCEPTED.

The steps and DBOS's waits come in through `SagaRuntime`, so the flow runs in unit tests
without DBOS or Postgres; `workflow.py` gives it the real ones.
"""

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import structlog
from prometheus_client import Counter

from fabrika.contracts.orders import OrderStatus, Submission
from fabrika.contracts.quotes import UNFINISHED_JOB, QuoteDocument, QuoteJobStatus, QuoteJobView
from fabrika.contracts.saga import (
    Acceptance,
    Decision,
    EmailJson,
    Ended,
    JsonObject,
    Opened,
    PriceJson,
    QuoteJobOutcome,
    Refusal,
    RegistryAnswer,
    TransitionJson,
)
from fabrika.orders.confirmation import confirm_by, over_price_limit, price_of, quote_transitions
from fabrika.orders.emails import email_for

log = structlog.get_logger()
COMPENSATIONS = Counter("fabrika_saga_compensations", "Compensations run", ["compensation"])
ABANDONED = Counter(
    "fabrika_saga_steps_abandoned", "Steps that must happen, left to the operators", ["step"]
)
# A step that must happen is tried this often, every PERSIST_PAUSE_S, before the operators
# are left to finish it: half a minute for an hour.
PERSIST_ATTEMPTS = 120
PERSIST_PAUSE_S = 30.0
CANCELLED_BY = {
    "customer": ("customer_cancelled", "You cancelled the order."),
    "operator": ("operator_cancelled", "An operator cancelled the order."),
}
Answer = TypeVar("Answer", RegistryAnswer, Opened, Acceptance, QuoteJobOutcome)
Registered = TypeVar("Registered", RegistryAnswer, Opened, Acceptance)
Compensation = Callable[[], Awaitable[None]]


class SagaRuntime(Protocol):
    """The saga's steps (each a DBOS step in production) and its durable waits."""

    def open_order(
        self, deadline_at: str, /, submission: JsonObject, registered_email: EmailJson | None
    ) -> Awaitable[Opened | Refusal]: ...

    def record_status(
        self,
        deadline_at: str,
        /,
        order_id: str,
        transitions: list[TransitionJson],
        email: EmailJson | None,
    ) -> Awaitable[RegistryAnswer | Refusal]: ...

    def quote_in_mes(
        self, deadline_at: str, /, submission: JsonObject
    ) -> Awaitable[QuoteJobOutcome | Refusal]: ...

    def quote_job_state(
        self, deadline_at: str, /, job_id: str
    ) -> Awaitable[QuoteJobOutcome | Refusal]: ...

    def accept_into_production(
        self,
        deadline_at: str,
        /,
        order_id: str,
        transitions: list[TransitionJson],
        due_date: str | None,
        email: EmailJson | None,
    ) -> Awaitable[Acceptance | Refusal]: ...

    def record_accepted(
        self, order_id: str, email: EmailJson | None
    ) -> Awaitable[RegistryAnswer]: ...

    def release_capacity(self, order_id: str) -> Awaitable[None]: ...

    def end_cancelled(
        self, order_id: str, code: str, detail: str, email: EmailJson | None
    ) -> Awaitable[Ended]: ...

    def clock(self) -> Awaitable[str]:
        """Now, as an ISO timestamp recorded once (a recovered saga sees the same)."""
        ...

    def recv(self, timeout_s: float) -> Awaitable[Decision | None]:
        """The next customer's or operator's decision, or None after `timeout_s`."""
        ...

    def sleep(self, seconds: float) -> Awaitable[None]: ...


class SagaFailed(Exception):
    """A step was refused or kept failing; the saga compensates with this reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class OrderSaga:
    """The steps of one order's saga and the compensations its completed steps need."""

    def __init__(self, order: Submission, submission: JsonObject, runtime: SagaRuntime) -> None:
        self.order = order
        self.submission = submission
        self.runtime = runtime
        self.id = str(order.order_id)
        self.deadline = order.deadline_at.isoformat()
        self.compensations: list[Compensation] = []
        self.price: PriceJson | None = None
        self.failure_code: str | None = None

    async def execute(self) -> OrderStatus:
        """Run the saga to its end: ACCEPTED, or CANCELLED after compensating."""
        try:
            await self.run()
        except SagaFailed as failure:
            self.failure_code = failure.code
            await self.compensate(failure.code, failure.detail)
            return OrderStatus.CANCELLED
        return OrderStatus.ACCEPTED

    async def run(self) -> None:
        registered = self.email(OrderStatus.REGISTERED)
        if self.order.channel == "b2b":  # may be reserved and accepted in its first step
            self.release_on_failure()
        opened = await self.registry_step(
            self.runtime.open_order(self.deadline, self.submission, registered)
        )
        if opened["accepted"]:
            if not opened.get("recorded"):  # the quote came with the acceptance
                quote = _finished_quote(opened["quote"])
                self.price = price_of(quote)
                await self.record_acceptance(self.email(OrderStatus.ACCEPTED, quote=quote))
            return
        quote = await self.quote(opened["quote"])
        self.price = price_of(quote)
        unrecorded = await self.await_confirmation(quote, opened)

        self.release_on_failure()
        due = self.order.due_date.isoformat() if self.order.due_date else None
        accepted = self.email(OrderStatus.ACCEPTED, quote=quote)
        outcome = await self.registry_step(
            self.runtime.accept_into_production(self.deadline, self.id, unrecorded, due, accepted)
        )
        if not outcome["recorded"]:
            await self.record_acceptance(accepted)

    def release_on_failure(self) -> None:
        """Called before a step in which MES may hold machine time: should the step fail
        after that, the time must be given back. Releasing nothing is harmless; it is
        registered once."""
        if self.release_capacity not in self.compensations:
            self.compensations.append(self.release_capacity)

    async def record_acceptance(self, email: EmailJson | None) -> None:
        """MES has the order but the CRM could not be told: from here on nothing
        compensates it, and the CRM must learn it however long it is away."""
        await self.persist("record_accepted", lambda: self.runtime.record_accepted(self.id, email))

    async def quote(self, job: QuoteJobView | None) -> QuoteDocument:
        """MES's quote: mostly given when the order was opened, else a job followed until
        it ends, or asked for again when MES could not answer then."""
        if job is None:
            job = await self.must(self.runtime.quote_in_mes(self.deadline, self.submission))
        pause = 0.05
        while job["status"] in UNFINISHED_JOB:
            self.on_decision(await self.runtime.recv(pause))
            pause = min(pause * 2, 2.0)
            job = await self.must(self.runtime.quote_job_state(self.deadline, job["id"]))
        if job["status"] != QuoteJobStatus.DONE:
            error = job.get("error") or {"code": None, "detail": None}
            raise SagaFailed(
                error["code"] or "quote_failed",
                error["detail"] or "The price could not be calculated.",
            )
        return _finished_quote(job)

    async def await_confirmation(
        self, quote: QuoteDocument, opened: Opened
    ) -> list[TransitionJson]:
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
            now = dt.datetime.fromisoformat(await self.runtime.clock())
            deadline = confirm_by(self.order, now)
            email = self.email(OrderStatus.QUOTED, quote=quote, deadline=deadline.isoformat())
            await self.record(quote_transitions(self.order, quote), email)
        wait_s = max((deadline - now).total_seconds(), 0.0)
        message = await self.runtime.recv(wait_s)
        if message is None:
            raise SagaFailed(
                "confirmation_timeout",
                "The price was not confirmed before the confirmation deadline.",
            )
        self.on_decision(message)
        if message.get("decision") != "confirm":
            raise SagaFailed(*CANCELLED_BY["customer"])
        return [{"status": OrderStatus.CONFIRMED.value}]

    def on_decision(self, message: Decision | None) -> None:
        if message and message.get("decision") == "cancel":
            self.cancelled_by(message.get("by", ""))

    def cancelled_by(self, who: str | None) -> None:
        raise SagaFailed(*CANCELLED_BY.get(who or "", CANCELLED_BY["customer"]))

    async def must(self, step: Awaitable[Answer | Refusal]) -> Answer:
        """Run a step; a refusal or exhausted retries fail the saga with a readable reason."""
        try:
            outcome = await step
        except Exception as exc:  # retries exhausted: the order must still end, not hang
            log.error("saga step failed", order_id=self.id, error=repr(exc))
            raise SagaFailed(
                "service_unavailable",
                "A system needed to process the order was unavailable for too long.",
            ) from exc
        if outcome["ok"] is False:
            raise SagaFailed(outcome["code"], outcome["detail"])
        return outcome

    async def registry_step(self, step: Awaitable[Registered | Refusal]) -> Registered:
        """Run a step that writes to the CRM, whose answer also tells whether the customer
        or an operator asked to cancel: each such step is where a cancellation is honoured."""
        outcome = await self.must(step)
        if who := outcome.get("cancel_requested_by"):
            self.cancelled_by(who)
        return outcome

    async def record(
        self, transitions: list[TransitionJson], email: EmailJson | None = None
    ) -> None:
        """Record status changes in CRM and email the customer, in one step."""
        await self.registry_step(
            self.runtime.record_status(self.deadline, self.id, transitions, email)
        )

    def email(
        self,
        status: OrderStatus,
        *,
        quote: QuoteDocument | None = None,
        deadline: str | None = None,
        reason: str | None = None,
        reason_code: str | None = None,
    ) -> EmailJson | None:
        """The email for this status, or None where this channel's customers get none."""
        return email_for(
            self.order,
            status,
            price=self.price,
            quote=quote,
            deadline=deadline,
            reason=reason,
            reason_code=reason_code,
        )

    async def compensate(self, code: str, detail: str) -> None:
        """Undo the completed steps in reverse, then cancel in CRM and tell the customer."""
        log.info("saga compensating", order_id=self.id, reason=code)
        for compensation in reversed(self.compensations):
            await compensation()
        COMPENSATIONS.labels("cancel_in_crm").inc()
        email = self.email(OrderStatus.CANCELLED, reason_code=code, reason=detail)
        await self.persist(
            "end_cancelled", lambda: self.runtime.end_cancelled(self.id, code, detail, email)
        )

    async def release_capacity(self) -> None:
        COMPENSATIONS.labels("release_capacity").inc()
        await self.persist("release_capacity", lambda: self.runtime.release_capacity(self.id))

    async def persist(self, name: str, step: Callable[[], Awaitable[object]]) -> None:
        """A step that must happen (a compensation, or recording an acceptance): after the
        step's own retries, keep trying every half minute (durably) for up to an hour, then
        leave it to the operators: the order shows on their overdue list, and the saga goes
        on to its end."""
        for _ in range(PERSIST_ATTEMPTS):
            try:
                await step()
                return
            except Exception as exc:
                log.error(
                    "a step that must happen failed, will retry", order_id=self.id, error=repr(exc)
                )
                await self.runtime.sleep(PERSIST_PAUSE_S)
        ABANDONED.labels(name).inc()
        log.error(
            "a step that must happen was abandoned; the order needs an operator",
            order_id=self.id,
            step=name,
        )


def _finished_quote(job: QuoteJobView | None) -> QuoteDocument:
    if job is None or "quote" not in job:
        raise SagaFailed("quote_failed", "The price could not be calculated.")
    return job["quote"]
