"""Operators' use cases, through the CRM's API and DBOS's system tables."""

import datetime as dt
from uuid import UUID

from dbos import DBOSClient, WorkflowStatus

from fabrika.contracts.orders import OrderView
from fabrika.core.errors import Conflict, NotFound
from fabrika.core.http import ServiceError, problem_from
from fabrika.crm.client import CrmClient
from fabrika.crm.schemas import OrderFilter
from fabrika.ops.schemas import FailedSaga, OverdueReport, RetryAnswer, SagaView, UnstartedSaga
from fabrika.ops.timeline import step_timeline
from fabrika.orders.client import WORKFLOW_NAME, workflow_id_of

RESUMABLE = {"ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "CANCELLED"}
UNFINISHED = ["ENQUEUED", "PENDING"]


async def order(crm: CrmClient, order_id: UUID) -> OrderView:
    try:
        return await crm.get_order(order_id)
    except ServiceError as exc:
        raise problem_from(exc) from exc


async def saga_of(dbos: DBOSClient, order_id: UUID) -> SagaView:
    """The saga's state and its step timeline."""
    workflow_id = workflow_id_of(order_id)
    statuses = await dbos.list_workflows_async(workflow_ids=[workflow_id], load_input=False)
    if not statuses:
        raise NotFound(f"There is no saga for order {order_id}.")
    status = statuses[0]
    steps = await dbos.list_workflow_steps_async(workflow_id)
    return SagaView(
        workflow_id=workflow_id,
        status=status.status,
        executor_id=status.executor_id,
        steps=step_timeline(steps),
    )


async def overdue(crm: CrmClient, dbos: DBOSClient) -> OverdueReport:
    """Orders open past their deadline, sagas that never started in time, failed sagas.

    In normal operation every list is empty."""
    registered = (await crm.list_orders(OrderFilter(overdue=True), limit=1000)).orders
    known = {str(summary.id) for summary in registered}
    now = dt.datetime.now(dt.UTC)
    waiting = await dbos.list_workflows_async(
        name=WORKFLOW_NAME, status=UNFINISHED, load_input=True, limit=1000
    )
    unregistered = [
        UnstartedSaga(workflow_id=w.workflow_id, status=w.status, deadline_at=deadline)
        for w in waiting
        if (deadline := _deadline_of(w))
        and dt.datetime.fromisoformat(deadline) < now
        and w.workflow_id.removeprefix("order-") not in known
    ]
    failed = await dbos.list_workflows_async(
        name=WORKFLOW_NAME, status=sorted(RESUMABLE - {"CANCELLED"}), load_input=False, limit=1000
    )
    return OverdueReport(
        orders=registered,
        sagas_not_started=unregistered,
        sagas_failed=[FailedSaga(workflow_id=w.workflow_id, status=w.status) for w in failed],
    )


def _deadline_of(workflow: WorkflowStatus) -> str | None:
    """The deadline in a saga's input (its submission), if it can be read."""
    try:
        deadline = workflow.input["args"][0]["deadline_at"] if workflow.input else None
    except (KeyError, IndexError, TypeError):
        return None
    return deadline if isinstance(deadline, str) else None


async def retry(dbos: DBOSClient, order_id: UUID) -> RetryAnswer:
    """Resume a saga that failed or was stopped; it continues from its last completed step."""
    saga = await saga_of(dbos, order_id)
    if saga.status not in RESUMABLE:
        raise Conflict(
            f"The saga is {saga.status}; only a failed or stopped saga can be retried.",
            saga_status=saga.status,
        )
    await dbos.resume_workflow_async(saga.workflow_id)
    return RetryAnswer(workflow_id=saga.workflow_id, status="resumed")
