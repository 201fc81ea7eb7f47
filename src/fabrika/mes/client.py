"""How other services call the MES."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import httpx

from fabrika.core.http import call_json
from fabrika.orders.schemas import Item


def _items(items: Sequence[Item]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]


class MesClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def check_items(self, items: Sequence[Item]) -> None:
        """Raise a 422 ServiceError naming every item the catalog cannot make."""
        await call_json(self.http, "POST", "/mes/v1/items/check", json={"items": _items(items)})

    async def quote(self, order_id: UUID, items: Sequence[Item]) -> dict[str, Any]:
        body = {"order_id": str(order_id), "items": _items(items)}
        return await call_json(self.http, "POST", "/mes/v1/quotes", json=body)

    async def reserve(self, order_id: UUID, due_date: str | None) -> dict[str, Any]:
        body = {"order_id": str(order_id), "due_date": due_date}
        return await call_json(self.http, "POST", "/mes/v1/reservations", json=body)

    async def release(self, order_id: UUID) -> None:
        await call_json(self.http, "DELETE", f"/mes/v1/reservations/{order_id}")

    async def accept(self, order_id: UUID) -> dict[str, Any]:
        return await call_json(self.http, "POST", "/mes/v1/jobs", json={"order_id": str(order_id)})
