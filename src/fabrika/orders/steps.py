"""The saga's steps: each one or a few calls to other services, every call keyed by the
order so that a step retried on a transient failure repeats no effect.

A business refusal (a 4xx answer) is returned as an outcome, not raised, so DBOS records it
once and the workflow compensates instead of retrying. Forward steps also refuse once the
order's deadline (less the time kept for compensation) has passed: the decision is then
part of the step's recorded output, so a recovered saga replays it exactly. Outcomes record
plain strings, never enums (see `fabrika.orders.schemas`).
"""

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar
from uuid import UUID

import structlog
from dbos import DBOS
from prometheus_client import Histogram

from fabrika.contracts.orders import OrderStatus, Submission
from fabrika.contracts.production import AcceptanceResult
from fabrika.contracts.quotes import UNFINISHED_JOB, QuoteJobStatus, QuoteJobView
from fabrika.contracts.saga import (
    Acceptance,
    Attempted,
    EmailJson,
    Ended,
    JsonObject,
    Opened,
    QuoteJobOutcome,
    Refusal,
    RegistryAnswer,
    TransitionJson,
)
from fabrika.core.http import ServiceClient, ServiceError
from fabrika.core.settings import get_settings
from fabrika.crm.client import CrmClient
from fabrika.crm.schemas import OrderState, RegisterOrder, Transition
from fabrika.mes.client import MesClient
from fabrika.notify.client import NotifyClient
from fabrika.notify.schemas import EmailRequest
from fabrika.orders.confirmation import confirm_by, price_of, quote_transitions
from fabrika.orders.emails import email_for

log = structlog.get_logger()
STEP_SECONDS = Histogram(
    "fabrika_saga_step_duration_seconds",
    "Time a saga step took, retries included",
    ["step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
P = ParamSpec("P")
R = TypeVar("R")
Outcome = TypeVar("Outcome", bound=Attempted)


@dataclass
class Services:
    crm: CrmClient
    mes: MesClient
    notify: NotifyClient


_services: Services | None = None


def configure(http: ServiceClient) -> None:
    """Called once by the saga worker at start-up, before DBOS launches."""
    global _services
    _services = Services(crm=CrmClient(http), mes=MesClient(http), notify=NotifyClient(http))


def services() -> Services:
    if _services is None:
        raise RuntimeError("saga steps used before fabrika.orders.steps.configure()")
    return _services


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, ServiceError) and exc.transient


def retried_step(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A DBOS step retrying transient failures: 10 attempts, pauses growing from 0.5 s to
    about 13 s, some 40 s of riding out a restart."""
    return DBOS.step(
        name=name,
        retries_allowed=True,
        max_attempts=10,
        interval_seconds=0.5,
        backoff_rate=1.5,
        should_retry=_is_transient,
    )


QUOTE_WAIT_S = 5.0  # MES holds a quote-state request this long for the job to finish


def refused(error: ServiceError) -> Refusal:
    return {"ok": False, "code": error.code or "refused", "detail": error.detail}


def forward_work_until(deadline_at: str) -> dt.datetime:
    """When forward work must stop: the reserve before the deadline is kept for compensating."""
    reserve = dt.timedelta(seconds=get_settings().compensation_reserve_s)
    return dt.datetime.fromisoformat(deadline_at) - reserve


def past_deadline(deadline_at: str) -> bool:
    return dt.datetime.now(dt.UTC) >= forward_work_until(deadline_at)


def deadline_passed() -> Refusal:
    return {
        "ok": False,
        "code": "deadline_exceeded",
        "detail": "The order could not be processed in the time allowed for it.",
    }


# Where a B2B order opened at once goes on to be accepted (a retry finds it further on).
ACCEPTING = frozenset({OrderStatus.CONFIRMED, OrderStatus.RESERVED, OrderStatus.ACCEPTED})


def forward(
    name: str, *, refuse_past_deadline: bool = True
) -> Callable[
    [Callable[Concatenate[str, P], Awaitable[Outcome]]],
    Callable[Concatenate[str, P], Awaitable[Outcome | Refusal]],
]:
    """A forward step, called with the order's deadline first as it is defined: timed,
    4xx answers turned into refusals, each outcome saying how many attempts it took.

    It refuses by itself once the deadline is near, unless `refuse_past_deadline` is off:
    then the step hands the moment forward work ends to the service that acts, which
    decides in its own transaction (an effect that must not be undone once done)."""

    def decorate(
        call: Callable[Concatenate[str, P], Awaitable[Outcome]],
    ) -> Callable[Concatenate[str, P], Awaitable[Outcome | Refusal]]:
        @wraps(call)
        async def step(deadline_at: str, /, *args: P.args, **kwargs: P.kwargs) -> Outcome | Refusal:
            if refuse_past_deadline and past_deadline(deadline_at):
                return deadline_passed()
            started = time.perf_counter()
            status = DBOS.step_status
            attempts = (status.current_attempt or 0) + 1 if status else 1
            try:
                outcome: Outcome | Refusal = await call(deadline_at, *args, **kwargs)
            except ServiceError as exc:
                if exc.transient:
                    raise
                outcome = refused(exc)
            finally:
                STEP_SECONDS.labels(name).observe(time.perf_counter() - started)
            outcome["attempts"] = attempts
            return outcome

        return retried_step(name)(step)

    return decorate


async def _email(order_id: str, email: EmailJson | None) -> None:
    """Queue a status email in notify's outbox; the key makes a repeat queue nothing."""
    if email is not None:
        request = EmailRequest(key=f"order:{order_id}:{email['event']}", **email)
        await services().notify.send_email(request)


def _registry_answer(state: OrderState) -> RegistryAnswer:
    return {
        "ok": True,
        "status": state.status.value,
        "cancel_requested_by": state.cancel_requested_by,
    }


@forward("open_order", refuse_past_deadline=False)
async def open_order(
    deadline_at: str, submission: JsonObject, registered_email: EmailJson | None
) -> Opened | Refusal:
    """Register the order in CRM, asking MES first for a price it can give at once.

    An order priced at once is registered with its quote (and, from a B2B account within
    its limit, confirmed) in the same CRM call; a shop customer is then also sent the price
    to confirm, and a confirmed B2B order is reserved and accepted at once, as
    accept_into_production does (`accepted`, `recorded`). Otherwise the answer carries
    MES's job to follow, or no quote when MES could not be asked (the saga asks again in a
    step of its own, with retries). Every call is keyed by the order, so a retried step
    repeats nothing.

    Past its time for forward work a shop order is not opened. A B2B order is, as MES
    decides the deadline of its acceptance: a retry must finish an acceptance a first
    attempt made.
    """
    order = Submission.model_validate(submission)
    accept_by = forward_work_until(deadline_at)
    if order.channel == "shop" and dt.datetime.now(dt.UTC) >= accept_by:
        return deadline_passed()
    job = await _quote_at_once(order)
    quoted_at = dt.datetime.now(dt.UTC)
    quote = job.get("quote") if job is not None and job["status"] == "done" else None
    transitions = quote_transitions(order, quote) if quote is not None else []
    state = await services().crm.register_order(order.order_id, _registration(order, transitions))
    opened: Opened = {
        "ok": True,
        "status": state.status.value,
        "cancel_requested_by": state.cancel_requested_by,
        "quote": job,
        "quoted_at": quoted_at.isoformat(),
        "quoted": bool(transitions),
        "accepted": False,
    }
    emails = [registered_email]
    if quote is not None and order.channel == "shop":
        opened["confirm_by"] = confirm_by(order, quoted_at).isoformat()
        emails.append(
            email_for(
                order,
                OrderStatus.QUOTED,
                price=price_of(quote),
                quote=quote,
                deadline=opened["confirm_by"],
            )
        )
    for email in emails:
        await _email(str(order.order_id), email)
    # With its quote in hand only: a retry may find the order confirmed but MES away, and
    # the saga then goes on step by step.
    if quote is None or order.channel != "b2b" or state.status not in ACCEPTING:
        return opened
    if state.cancel_requested_by:
        return opened
    accepted = email_for(order, OrderStatus.ACCEPTED, price=price_of(quote), quote=quote)
    due = order.due_date.isoformat() if order.due_date else None
    opened["job"], opened["recorded"] = await _accept(str(order.order_id), accept_by, due, accepted)
    opened["accepted"] = True
    return opened


def _registration(order: Submission, transitions: list[TransitionJson]) -> RegisterOrder:
    return RegisterOrder(
        channel=order.channel,
        customer=order.customer,
        items=order.items,
        due_date=order.due_date,
        submitted_at=order.submitted_at,
        deadline_at=order.deadline_at,
        account_id=order.account_id,
        external_ref=order.external_ref,
        transitions=[Transition.model_validate(t) for t in transitions],
    )


async def _quote_at_once(order: Submission) -> QuoteJobView | None:
    """MES's answer to the order's quote request: finished, a job to follow, or None when
    MES could not answer now."""
    try:
        return await services().mes.request_quote(
            order.order_id, order.items, from_job=order.quote_job_id
        )
    except ServiceError as exc:
        if exc.transient:
            return None
        return {
            "id": f"order-{order.order_id}",
            "status": QuoteJobStatus.REFUSED,
            "error": {"code": exc.code, "detail": exc.detail},
        }


@forward("record_status")
async def record_status(
    deadline_at: str, order_id: str, transitions: list[TransitionJson], email: EmailJson | None
) -> RegistryAnswer:
    """Record status changes in CRM (in order, in one call) and email the customer."""
    changes = [Transition.model_validate(t) for t in transitions]
    state = await services().crm.record_transitions(UUID(order_id), *changes)
    await _email(order_id, email)
    return _registry_answer(state)


@forward("quote_in_mes")
async def quote_in_mes(deadline_at: str, submission: JsonObject) -> QuoteJobOutcome:
    """Price the order in MES: at once when no model needs analysing, else as a quote job
    that MES holds the answer for a little while, which is enough for most."""
    order = Submission.model_validate(submission)
    job = await services().mes.request_quote(
        order.order_id, order.items, from_job=order.quote_job_id
    )
    if job["status"] in UNFINISHED_JOB:
        job = await services().mes.quote_job(job["id"], wait_s=QUOTE_WAIT_S)
    return {"ok": True, **job}


@forward("quote_job_state")
async def quote_job_state(deadline_at: str, job_id: str) -> QuoteJobOutcome:
    return {"ok": True, **await services().mes.quote_job(job_id, wait_s=QUOTE_WAIT_S)}


@forward("accept_into_production", refuse_past_deadline=False)
async def accept_into_production(
    deadline_at: str,
    order_id: str,
    transitions: list[TransitionJson],
    due_date: str | None,
    email: EmailJson | None,
) -> Acceptance:
    """Record any status still to record (a shop customer's CONFIRMED, the last point at
    which a cancellation is honoured: the CRM's answer says whether one was asked for),
    then have MES accept the order (`_accept`)."""
    if transitions:
        changes = [Transition.model_validate(t) for t in transitions]
        state = await services().crm.record_transitions(UUID(order_id), *changes)
        if state.cancel_requested_by:
            return {**_registry_answer(state), "recorded": False}
    accept_by = forward_work_until(deadline_at)
    job, recorded = await _accept(order_id, accept_by, due_date, email)
    return {"ok": True, "job": job, "recorded": recorded}


async def _accept(
    order_id: str, accept_by: dt.datetime, due_date: str | None, email: EmailJson | None
) -> tuple[AcceptanceResult, bool]:
    """MES holds the machine time and accepts the order into production in one
    transaction, and refuses a first acceptance after `accept_by`. Then RESERVED and
    ACCEPTED are recorded and the customer told. Once MES has accepted, a failure to
    record is not retried here: the second value is False and the saga records it durably
    (record_accepted), so nothing can undo what production has."""
    job = await services().mes.accept(
        UUID(order_id), accept_by.isoformat(), reserve=True, due_date=due_date
    )
    try:
        await _record_accepted(order_id, email)
    except ServiceError as exc:
        log.warning("recording an acceptance failed", order_id=order_id, error=repr(exc))
        return job, False
    return job, True


async def _record_accepted(order_id: str, email: EmailJson | None) -> OrderState:
    reserved = Transition(status=OrderStatus.RESERVED)
    accepted = Transition(status=OrderStatus.ACCEPTED)
    state = await services().crm.record_transitions(UUID(order_id), reserved, accepted)
    await _email(order_id, email)
    return state


# Compensations and the steps that end an order run whatever the clock says: they are how
# an order ends, and production has the order once MES accepted it.


@retried_step("record_accepted")
async def record_accepted(order_id: str, email: EmailJson | None) -> RegistryAnswer:
    return _registry_answer(await _record_accepted(order_id, email))


@retried_step("release_capacity")
async def release_capacity(order_id: str) -> None:
    with STEP_SECONDS.labels("release_capacity").time():
        await services().mes.release(UUID(order_id))


@retried_step("end_cancelled")
async def end_cancelled(order_id: str, code: str, detail: str, email: EmailJson | None) -> Ended:
    """Record the cancellation in CRM (if the order got there) and tell the customer why."""
    transition = Transition(status=OrderStatus.CANCELLED, reason=detail, reason_code=code)
    try:
        await services().crm.record_transitions(UUID(order_id), transition)
    except ServiceError as exc:
        if exc.transient:
            raise
        # 404: never registered. 409: already ended. Either way the customer hears why.
    await _email(order_id, email)
    return {"ok": True}


@DBOS.step(name="clock")
async def clock() -> str:
    """Now, recorded: a recovered saga sees the same time it saw the first time."""
    return dt.datetime.now(dt.UTC).isoformat()
