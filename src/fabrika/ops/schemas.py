"""What the operators' API answers."""

from typing import Literal

from pydantic import BaseModel, JsonValue

from fabrika.contracts.orders import OrderStatus, OrderView
from fabrika.crm.schemas import OrderSummary

StepOutcome = Literal["ok", "refused", "error"]


class TimelineStep(BaseModel):
    """One step of a saga as an operator reads it."""

    step: int
    name: str
    started_at_ms: int | None
    duration_ms: int | None
    attempts: int
    outcome: StepOutcome
    error: str | None = None


class SagaView(BaseModel):
    workflow_id: str
    status: str
    executor_id: str | None
    steps: list[TimelineStep]


class OrderDetail(BaseModel):
    order: OrderView
    saga: SagaView


class UnstartedSaga(BaseModel):
    workflow_id: str
    status: str
    deadline_at: str


class FailedSaga(BaseModel):
    workflow_id: str
    status: str


class OverdueReport(BaseModel):
    """Everything that should have ended by now and has not; empty in normal operation."""

    orders: list[OrderSummary]
    sagas_not_started: list[UnstartedSaga]
    sagas_failed: list[FailedSaga]


class CancellationAnswer(BaseModel):
    id: str
    status: OrderStatus
    cancellation: Literal["requested"]


class RetryAnswer(BaseModel):
    workflow_id: str
    status: Literal["resumed"]


class AutoscalerReport(BaseModel):
    """Instances per service, the policies and the latest decisions (from `fabrika up`)."""

    enabled: bool
    instances: dict[str, int]
    policies: dict[str, JsonValue]
    decisions: list[JsonValue]
