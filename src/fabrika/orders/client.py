"""How the shop and B2B entries start order sagas and pass customers' decisions to them."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Annotated, Literal
from uuid import UUID

from dbos import DBOSClient, EnqueueOptions
from fastapi import Depends, FastAPI, Request

from fabrika.contracts.accounts import AccountView
from fabrika.contracts.orders import Channel, Customer, Item, Submission
from fabrika.contracts.saga import Decider, Decision
from fabrika.core.errors import Conflict, NotFound, Problem
from fabrika.core.http import ServiceError, problem_from
from fabrika.core.settings import Settings
from fabrika.core.workflows import close_dbos_client, open_dbos_client, register_queue
from fabrika.crm.client import CrmClient
from fabrika.crm.schemas import OrderState
from fabrika.mes.client import MesClient

# A queue per channel: a saga holds its queue slot while it waits for the customer, so
# shop orders awaiting confirmation (up to a day, by the thousand) must never stand in the
# way of B2B orders (O4). Waiting costs a worker only memory, hence the shop's many slots;
# B2B sagas do not wait, and their slots bound the work one worker takes on at once.
SLOTS_PER_CHANNEL: dict[Channel, int] = {"shop": 2000, "b2b": 200}
WORKFLOW_NAME = "order_saga"
DECISION_TOPIC = "decision"
DecisionKind = Literal["confirm", "cancel"]


def queue_of(channel: Channel) -> str:
    return f"orders-{channel}"


ORDER_QUEUES = [queue_of(channel) for channel in SLOTS_PER_CHANNEL]


def workflow_id_of(order_id: UUID) -> str:
    """One saga per order: starting it twice attaches to the first."""
    return f"order-{order_id}"


class OrderSagaClient:
    """Talks to the saga workers through DBOS's system tables, never directly."""

    def __init__(self, dbos: DBOSClient, *, application_version: str) -> None:
        self.dbos = dbos
        self.application_version = application_version

    async def start(self, submission: Submission) -> None:
        options: EnqueueOptions = {
            "queue_name": queue_of(submission.channel),
            "workflow_name": WORKFLOW_NAME,
            "workflow_id": workflow_id_of(submission.order_id),
            "app_version": self.application_version,
        }
        await self.dbos.enqueue_async(options, submission.model_dump(mode="json"))

    async def decide(
        self, order_id: UUID, decision: DecisionKind, *, by: Decider = "customer"
    ) -> None:
        """Deliver a confirmation or a cancellation to the order's saga (kept until read)."""
        message: Decision = {"decision": decision, "by": by}
        await self.dbos.send_async(workflow_id_of(order_id), message, topic=DECISION_TOPIC)

    async def submitted_at(self, order_id: UUID) -> dt.datetime | None:
        """When the saga was started, or None if there is no saga for this order."""
        statuses = await self.dbos.list_workflows_async(
            workflow_ids=[workflow_id_of(order_id)], load_input=False, load_output=False
        )
        if not statuses or statuses[0].created_at is None:
            return None
        return dt.datetime.fromtimestamp(statuses[0].created_at / 1000, dt.UTC)


def get_sagas(request: Request) -> OrderSagaClient:
    sagas: OrderSagaClient = request.app.state.sagas
    return sagas


SagasDep = Annotated[OrderSagaClient, Depends(get_sagas)]


async def submit_order(
    *,
    channel: Channel,
    customer: Customer,
    items: Sequence[Item],
    due_date: dt.date | None,
    mes: MesClient,
    sagas: OrderSagaClient,
    settings: Settings,
    account: AccountView | None = None,
    order_id: UUID | None = None,
    external_ref: str | None = None,
    quote_job_id: str | None = None,
) -> Submission:
    """Check the items against the catalog, then start the order's saga: the one way both
    the shop and the B2B entry place an order. A B2B order carries its account and the
    account's limit for confirming itself; its id is named from the partner's
    Idempotency-Key (`order_id`), so that a retry starts no second saga."""
    submitted_at = dt.datetime.now(dt.UTC)
    if due_date is not None and due_date <= submitted_at.date():
        raise Problem(
            f"The due date {due_date} is not in the future; choose a later date.",
            status=422,
            type="validation-error",
            title="Invalid request",
            errors=[{"pointer": "/due_date", "detail": "must be after today"}],
        )
    try:
        await mes.check_items(items)
    except ServiceError as exc:
        raise problem_from(exc) from exc
    submission = Submission(
        order_id=order_id or uuid.uuid4(),
        channel=channel,
        customer=customer,
        items=list(items),
        due_date=due_date,
        submitted_at=submitted_at,
        deadline_at=submitted_at + dt.timedelta(seconds=settings.deadline_s(channel)),
        account_id=account.id if account else None,
        price_limit=account.price_limit if account else None,
        external_ref=external_ref,
        quote_job_id=quote_job_id,
    )
    await sagas.start(submission)
    return submission


async def request_cancellation(
    crm: CrmClient, sagas: OrderSagaClient, order_id: UUID, *, by: Decider
) -> OrderState:
    """Cancel an order for its customer or an operator, until it is confirmed.

    The CRM notes the request (or refuses it, 409, once the order is past cancelling); the
    saga reads the note at its next step, and the message wakes a saga that is waiting for
    a confirmation or a quote. An order not registered yet is asked to wait a moment.
    """
    try:
        state = await crm.request_cancellation(order_id, by=by)
    except ServiceError as exc:
        if exc.status != 404:
            raise problem_from(exc) from exc
        if await sagas.submitted_at(order_id) is None:
            raise NotFound(f"There is no order {order_id}.") from exc
        raise Conflict(
            "The order is still being registered; ask again in a moment.",
            current_status="NEW",
            headers={"Retry-After": "1"},
        ) from exc
    await sagas.decide(order_id, "cancel", by=by)
    return state


def register_order_queues(settings: Settings) -> None:
    """Polled every 0.25 s: an order should not wait a second for its saga to begin, and a
    poll claims every waiting saga there is room for. A poll costs a saga worker some 3 ms
    of CPU with Postgres's share, idle or not: at 0.1 s the two queues took 57 ms/s of an
    idle worker."""
    for channel, slots in SLOTS_PER_CHANNEL.items():
        register_queue(
            settings, queue_of(channel), worker_concurrency=slots, polling_interval_sec=0.25
        )


async def open_saga_client(app: FastAPI) -> None:
    """Lifespan hook: give an entry service (shop, b2b) its saga client."""
    await open_dbos_client(app)
    version = app.state.settings.application_version
    app.state.sagas = OrderSagaClient(app.state.dbos, application_version=version)


close_saga_client = close_dbos_client
