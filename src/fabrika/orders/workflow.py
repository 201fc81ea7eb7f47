"""The order saga as one durable workflow: steps top to bottom, compensations beside them.

register in CRM (compensation: cancel there) → quote in MES → wait for the customer's
confirmation → reserve capacity (compensation: release) → accept into production. Every
status change is recorded in the CRM and emailed to the customer. The order's deadline
bounds every wait and every step, and the customer or an operator may cancel until MES
accepts the order: whatever happens, the saga ends ACCEPTED or CANCELLED with a reason.
"""

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from dbos import DBOS
from prometheus_client import Counter

from fabrika.core.settings import get_settings
from fabrika.orders import steps
from fabrika.orders.client import DECISION_TOPIC, WORKFLOW_NAME
from fabrika.orders.emails import email_for
from fabrika.orders.schemas import OrderStatus, Submission

log = structlog.get_logger()

# Counted when the workflow code runs: a saga recovered mid-way may count its start twice.
SAGAS_STARTED = Counter("fabrika_sagas_started", "Order sagas started (or resumed)", ["channel"])
SAGAS_ENDED = Counter("fabrika_sagas_ended", "Order sagas that ended", ["outcome", "reason"])
COMPENSATIONS = Counter("fabrika_saga_compensations", "Compensations run", ["compensation"])
Compensation = Callable[[str, str], Awaitable[None]]
COMPENSATION_ATTEMPTS = 120
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
        await self.must(steps.register_in_crm(self.deadline, self.submission, registered))

        quote = await self.quote()
        self.price = {"price": quote["total"], "currency": quote["currency"]}
        await self.await_confirmation(quote)
        await self.record(OrderStatus.CONFIRMED)

        await self.cancellation_point()
        due = self.order.due_date.isoformat() if self.order.due_date else None
        await self.must(steps.reserve_capacity(self.deadline, self.id, due))
        self.compensations.append(self.release_capacity)
        await self.record(OrderStatus.RESERVED)

        await self.cancellation_point()
        await self.must(steps.accept_into_production(self.deadline, self.id))
        # MES has the order now: from here on nothing compensates it.
        accepted = self.email(OrderStatus.ACCEPTED, quote=quote)
        await self.must_answer(steps.record_accepted(self.id, accepted))

    async def quote(self) -> dict[str, Any]:
        """MES's quote job; MES holds each answer a few seconds, so most need one step."""
        state = await self.must(steps.quote_in_mes(self.deadline, self.submission))
        pause = 0.05
        while state["status"] in ("queued", "running"):
            self.on_decision(await DBOS.recv_async(DECISION_TOPIC, timeout_seconds=pause))
            pause = min(pause * 2, 2.0)
            state = await self.must(steps.quote_job_state(self.deadline, state["id"]))
        if state["status"] != "done":
            error = state.get("error") or {}
            raise SagaFailed(
                error.get("code") or "quote_failed",
                error.get("detail") or "The price could not be calculated.",
            )
        return state["quote"]

    async def await_confirmation(self, quote: dict) -> None:
        if self.order.channel == "b2b":
            await self.record(OrderStatus.QUOTED, quote=quote, **self.price)
            limit = self.order.price_limit or 0.0
            if quote["total"] > limit:
                raise SagaFailed(
                    "over_price_limit",
                    f"The quoted price {quote['total']:.2f} {quote['currency']} is over your "
                    f"account's limit of {limit:.2f} {quote['currency']} for automatic "
                    "confirmation.",
                )
            return
        now = dt.datetime.fromisoformat(await steps.clock())
        reserve = dt.timedelta(seconds=get_settings().compensation_reserve_s)
        confirm_by = min(
            now + dt.timedelta(seconds=get_settings().confirm_timeout_s),
            self.order.deadline_at - reserve,
        )
        await self.record(
            OrderStatus.QUOTED,
            quote=quote,
            **self.price,
            email_extra={"deadline": confirm_by.isoformat()},
        )
        wait_s = max((confirm_by - now).total_seconds(), 0.0)
        message = await DBOS.recv_async(DECISION_TOPIC, timeout_seconds=wait_s)
        if message is None:
            raise SagaFailed(
                "confirmation_timeout",
                "The price was not confirmed before the confirmation deadline.",
            )
        self.on_decision(message)
        if message.get("decision") != "confirm":
            raise SagaFailed("customer_cancelled", "You cancelled the order.")

    async def cancellation_point(self) -> None:
        """Between steps: a cancellation sent meanwhile stops the saga here."""
        self.on_decision(await DBOS.recv_async(DECISION_TOPIC, timeout_seconds=0))

    def on_decision(self, message: dict | None) -> None:
        if message and message.get("decision") == "cancel":
            raise SagaFailed(*CANCELLED_BY.get(message.get("by", ""), CANCELLED_BY["customer"]))

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

    async def record(
        self, status: OrderStatus, *, email_extra: dict | None = None, **fields: Any
    ) -> None:
        """Record the status in CRM and email the customer, in one step."""
        email = self.email(status, quote=fields.get("quote"), **(email_extra or {}))
        transition = {"status": status, **fields}
        await self.must(steps.record_status(self.deadline, self.id, transition, email))

    def email(self, status: OrderStatus, **extra: Any) -> dict[str, Any]:
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
        """A compensation must happen: after a step's own retries, keep trying every
        half minute (durably) for up to an hour, then leave it to the operators."""
        for _ in range(COMPENSATION_ATTEMPTS):
            try:
                await step()
                return
            except Exception as exc:
                log.error("compensation failed, will retry", order_id=self.id, error=repr(exc))
                await DBOS.sleep_async(30)
        log.error("compensation abandoned; the order needs an operator", order_id=self.id)
