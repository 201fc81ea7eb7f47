"""The order saga as one durable DBOS workflow: the saga's flow (saga.py) run with the real
steps (steps.py) and DBOS's durable waits."""

from dbos import DBOS
from prometheus_client import Counter

from fabrika.contracts.orders import Submission
from fabrika.contracts.saga import Decision, JsonObject
from fabrika.orders import steps
from fabrika.orders.client import DECISION_TOPIC, WORKFLOW_NAME
from fabrika.orders.saga import OrderSaga

# Counted when the workflow code runs: a saga recovered mid-way may count its start twice.
SAGAS_STARTED = Counter("fabrika_sagas_started", "Order sagas started (or resumed)", ["channel"])
SAGAS_ENDED = Counter("fabrika_sagas_ended", "Order sagas that ended", ["outcome", "reason"])


class DbosRuntime:
    """The saga's steps as DBOS steps, its waits as DBOS's durable receive and sleep."""

    open_order = staticmethod(steps.open_order)
    record_status = staticmethod(steps.record_status)
    quote_in_mes = staticmethod(steps.quote_in_mes)
    quote_job_state = staticmethod(steps.quote_job_state)
    accept_into_production = staticmethod(steps.accept_into_production)
    record_accepted = staticmethod(steps.record_accepted)
    release_capacity = staticmethod(steps.release_capacity)
    end_cancelled = staticmethod(steps.end_cancelled)
    clock = staticmethod(steps.clock)

    @staticmethod
    async def recv(timeout_s: float) -> Decision | None:
        message: Decision | None = await DBOS.recv_async(DECISION_TOPIC, timeout_seconds=timeout_s)
        return message

    @staticmethod
    async def sleep(seconds: float) -> None:
        await DBOS.sleep_async(seconds)


@DBOS.workflow(name=WORKFLOW_NAME)
async def order_saga(submission: JsonObject) -> str:
    """One order from submission to ACCEPTED or CANCELLED; returns the final status."""
    order = Submission.model_validate(submission)
    SAGAS_STARTED.labels(order.channel).inc()
    saga = OrderSaga(order, submission, DbosRuntime())
    outcome = await saga.execute()
    SAGAS_ENDED.labels(outcome.value.lower(), saga.failure_code or "").inc()
    return outcome.value
