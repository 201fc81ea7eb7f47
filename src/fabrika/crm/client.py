"""How other services call the CRM."""

from uuid import UUID

import httpx

from fabrika.core.http import call_json
from fabrika.crm.schemas import AccountView, RegisterOrder, Transition
from fabrika.orders.schemas import OrderView


class CrmClient:
    """Typed calls to the CRM's internal API; errors surface as ServiceError."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def _call(self, method: str, path: str, json: object | None = None) -> dict:
        return await call_json(self.http, method, f"/crm/v1{path}", json=json)

    async def register_order(self, order_id: UUID, registration: RegisterOrder) -> OrderView:
        body = registration.model_dump(mode="json")
        return OrderView.model_validate(await self._call("PUT", f"/orders/{order_id}", body))

    async def record_transition(self, order_id: UUID, transition: Transition) -> OrderView:
        body = transition.model_dump(mode="json", exclude_none=True)
        path = f"/orders/{order_id}/transitions"
        return OrderView.model_validate(await self._call("POST", path, body))

    async def get_order(self, order_id: UUID) -> OrderView:
        return OrderView.model_validate(await self._call("GET", f"/orders/{order_id}"))

    async def authenticate(self, api_key: str) -> AccountView:
        body = {"api_key": api_key}
        return AccountView.model_validate(await self._call("POST", "/accounts/authenticate", body))
