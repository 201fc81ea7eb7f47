"""How other services call the CRM."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from pydantic import JsonValue, TypeAdapter

from fabrika.contracts.orders import OrderStatus, OrderView
from fabrika.core.http import ServiceClient, call_json
from fabrika.crm.schemas import (
    AccountView,
    OrderState,
    OrderStats,
    OrderSummary,
    RegisterOrder,
    Transition,
)

SUMMARIES = TypeAdapter(list[OrderSummary])


class CrmClient:
    """Typed calls to the CRM's internal API; errors surface as ServiceError."""

    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def _call(self, method: str, path: str, json: object | None = None) -> JsonValue:
        return await call_json(self.http, method, f"/crm/v1{path}", json=json)

    async def register_order(self, order_id: UUID, registration: RegisterOrder) -> OrderState:
        body = registration.model_dump(mode="json")
        return OrderState.model_validate(await self._call("PUT", f"/orders/{order_id}", body))

    async def record_transitions(self, order_id: UUID, *transitions: Transition) -> OrderState:
        """Record status changes in order; ones recorded before are skipped."""
        body = [t.model_dump(mode="json", exclude_none=True) for t in transitions]
        path = f"/orders/{order_id}/transitions"
        return OrderState.model_validate(await self._call("POST", path, body))

    async def request_cancellation(self, order_id: UUID, *, by: str) -> OrderState:
        """409 once the order has ended or is being accepted; 404 before it is registered."""
        path = f"/orders/{order_id}/cancellation"
        return OrderState.model_validate(await self._call("POST", path, {"by": by}))

    async def get_order(self, order_id: UUID) -> OrderView:
        return OrderView.model_validate(await self._call("GET", f"/orders/{order_id}"))

    async def list_orders(
        self, *, status: OrderStatus | None = None, overdue: bool = False, limit: int = 100
    ) -> list[OrderSummary]:
        params = {"overdue": str(overdue).lower(), "limit": str(limit)}
        if status:
            params["status"] = status.value
        rows = await call_json(self.http, "GET", "/crm/v1/orders", params=params)
        return SUMMARIES.validate_python(rows)

    async def order_stats(self) -> OrderStats:
        return OrderStats.model_validate(await self._call("GET", "/orders/stats"))

    async def authenticate(self, api_key: str) -> AccountView:
        body = {"api_key": api_key}
        return AccountView.model_validate(await self._call("POST", "/accounts/authenticate", body))


def get_crm(request: Request) -> CrmClient:
    return CrmClient(request.app.state.http)


CrmDep = Annotated[CrmClient, Depends(get_crm)]
