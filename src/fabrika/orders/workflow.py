"""The order saga as one durable workflow: steps top to bottom, compensations beside them.

register in CRM (compensation: cancel there) → quote in MES → wait for the customer's
confirmation until a deadline → reserve capacity (compensation: release) → accept into
production. Every status change is recorded in the CRM and emailed to the customer.
"""

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

QUOTE_WAIT_S = 600
SAGAS_ENDED = Counter("fabrika_sagas_ended", "Order sagas that ended", ["outcome", "reason"])
Compensation = Callable[[str, str], Awaitable[None]]


class SagaFailed(Exception):
    """A step was refused or kept failing; the saga compensates with this reason."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@DBOS.workflow(name=WORKFLOW_NAME)
async def order_saga(submission: dict) -> str:
    order = Submission.model_validate(submission)
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
        self.compensations: list[Compensation] = []
        self.price: dict[str, Any] = {}

    async def run(self) -> None:
        await self.must(steps.register_in_crm(self.submission))
        self.compensations.append(self.cancel_in_crm)
        await self.tell(OrderStatus.REGISTERED)

        quote = await self.quote()
        self.price = {"price": quote["total"], "currency": quote["currency"]}
        await self.record(OrderStatus.QUOTED, **self.price, quote=quote)
        deadline = await steps.clock_after(get_settings().confirm_timeout_s)
        await self.tell(OrderStatus.QUOTED, quote=quote, deadline=deadline)

        await self.await_confirmation(quote)
        await self.record(OrderStatus.CONFIRMED)
        await self.tell(OrderStatus.CONFIRMED)

        due = self.order.due_date.isoformat() if self.order.due_date else None
        await self.must(steps.reserve_capacity(self.id, due))
        self.compensations.append(self.release_capacity)
        await self.record(OrderStatus.RESERVED)
        await self.tell(OrderStatus.RESERVED)

        await self.must(steps.accept_into_production(self.id))
        await self.record(OrderStatus.ACCEPTED)
        await self.tell(OrderStatus.ACCEPTED, quote=quote)

    async def quote(self) -> dict[str, Any]:
        """Wait for MES's quote job, polling durably with a growing pause."""
        job_id = (await self.must(steps.request_quote(self.submission)))["job_id"]
        pause, waited = 0.1, 0.0
        while waited < QUOTE_WAIT_S:
            state = await self.must_answer(steps.quote_job_state(job_id))
            if state["status"] == "done":
                return state["quote"]
            if state["status"] in ("refused", "failed", "cancelled"):
                error = state.get("error") or {}
                raise SagaFailed(
                    error.get("code") or "quote_failed",
                    error.get("detail") or "The price could not be calculated.",
                )
            await DBOS.sleep_async(pause)
            waited += pause
            pause = min(pause * 2, 2.0)
        raise SagaFailed("quote_timeout", "The price could not be calculated in time.")

    async def await_confirmation(self, quote: dict) -> None:
        if self.order.channel == "b2b":
            limit = self.order.price_limit or 0.0
            if quote["total"] > limit:
                raise SagaFailed(
                    "over_price_limit",
                    f"The quoted price {quote['total']:.2f} {quote['currency']} is over your "
                    f"account's limit of {limit:.2f} {quote['currency']} for automatic "
                    "confirmation.",
                )
            return
        message = await DBOS.recv_async(
            DECISION_TOPIC, timeout_seconds=get_settings().confirm_timeout_s
        )
        if message is None:
            raise SagaFailed(
                "confirmation_timeout",
                "The price was not confirmed before the confirmation deadline.",
            )
        if message.get("decision") != "confirm":
            raise SagaFailed("customer_cancelled", "You cancelled the order.")

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

    async def record(self, status: OrderStatus, **fields: Any) -> None:
        await self.must(steps.record_status(self.id, {"status": status, **fields}))

    async def tell(self, status: OrderStatus, **extra: Any) -> None:
        """Email the customer; a notification that cannot be sent never blocks the order."""
        try:
            await steps.email_customer(self.id, status, self.email(status, **extra))
        except Exception as exc:
            log.error("customer notification failed", order_id=self.id, error=repr(exc))

    def email(self, status: OrderStatus, **extra: Any) -> dict[str, Any]:
        return email_for(self.order, status, price=self.price, **extra)

    async def compensate(self, code: str, detail: str) -> None:
        log.info("saga compensating", order_id=self.id, reason=code)
        for compensation in reversed(self.compensations):
            await compensation(code, detail)
        await self.tell(OrderStatus.CANCELLED, reason_code=code, reason=detail)

    async def cancel_in_crm(self, code: str, detail: str) -> None:
        transition = {"status": OrderStatus.CANCELLED, "reason": detail, "reason_code": code}
        await steps.record_status(self.id, transition)

    async def release_capacity(self, code: str, detail: str) -> None:
        await steps.release_capacity(self.id)
