"""How other services call the CRM."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from pydantic import JsonValue, TypeAdapter

from fabrika.contracts.accounts import (
    AccountChange,
    AccountIn,
    AccountView,
    Authenticated,
    IssuedKey,
    KeyIn,
    KeyView,
    Plan,
    Rotation,
)
from fabrika.contracts.orders import OrderView
from fabrika.core.http import ServiceClient, call_json
from fabrika.crm.schemas import (
    OrderFilter,
    OrderPage,
    OrderState,
    OrderStats,
    RegisterOrder,
    Transition,
)

PLANS = TypeAdapter(list[Plan])
ACCOUNTS = TypeAdapter(list[AccountView])
KEYS = TypeAdapter(list[KeyView])


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
        self, where: OrderFilter, *, limit: int = 100, cursor: str | None = None
    ) -> OrderPage:
        params = {
            key: value.isoformat() if isinstance(value, dt.datetime) else str(value)
            for key, value in where.model_dump(exclude_none=True, exclude_defaults=True).items()
        }
        params["limit"] = str(limit)
        if cursor:
            params["cursor"] = cursor
        page = await call_json(self.http, "GET", "/crm/v1/orders", params=params)
        return OrderPage.model_validate(page)

    async def order_stats(self) -> OrderStats:
        return OrderStats.model_validate(await self._call("GET", "/orders/stats"))

    async def authenticate(self, api_key: str) -> Authenticated:
        """The key's account and scopes; 401 when it is unknown, revoked or expired."""
        answer = await self._call("POST", "/keys/authenticate", {"api_key": api_key})
        return Authenticated.model_validate(answer)

    async def list_plans(self) -> list[Plan]:
        return PLANS.validate_python(await self._call("GET", "/plans"))

    async def put_plan(self, plan: Plan) -> Plan:
        body = plan.model_dump(mode="json")
        return Plan.model_validate(await self._call("PUT", f"/plans/{plan.name}", body))

    async def list_accounts(self) -> list[AccountView]:
        return ACCOUNTS.validate_python(await self._call("GET", "/accounts"))

    async def create_account(self, account: AccountIn) -> AccountView:
        body = account.model_dump(mode="json")
        return AccountView.model_validate(await self._call("POST", "/accounts", body))

    async def get_account(self, account_id: UUID) -> AccountView:
        return AccountView.model_validate(await self._call("GET", f"/accounts/{account_id}"))

    async def change_account(self, account_id: UUID, change: AccountChange) -> AccountView:
        body = change.model_dump(mode="json", exclude_none=True)
        return AccountView.model_validate(
            await self._call("PATCH", f"/accounts/{account_id}", body)
        )

    async def list_keys(self, account_id: UUID) -> list[KeyView]:
        return KEYS.validate_python(await self._call("GET", f"/accounts/{account_id}/keys"))

    async def issue_key(self, account_id: UUID, key: KeyIn) -> IssuedKey:
        body = key.model_dump(mode="json")
        path = f"/accounts/{account_id}/keys"
        return IssuedKey.model_validate(await self._call("POST", path, body))

    async def rotate_key(self, account_id: UUID, key_id: UUID, rotation: Rotation) -> IssuedKey:
        path = f"/accounts/{account_id}/keys/{key_id}/rotate"
        body = rotation.model_dump(mode="json")
        return IssuedKey.model_validate(await self._call("POST", path, body))

    async def revoke_key(self, account_id: UUID, key_id: UUID) -> KeyView:
        path = f"/accounts/{account_id}/keys/{key_id}/revoke"
        return KeyView.model_validate(await self._call("POST", path))


def get_crm(request: Request) -> CrmClient:
    return CrmClient(request.app.state.http)


CrmDep = Annotated[CrmClient, Depends(get_crm)]
