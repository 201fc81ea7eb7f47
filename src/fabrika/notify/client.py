"""How other services ask for notifications."""

import httpx

from fabrika.core.http import call_json
from fabrika.notify.schemas import DeliveryView, EmailRequest


class NotifyClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def send_email(self, request: EmailRequest) -> DeliveryView:
        body = request.model_dump(mode="json")
        return DeliveryView.model_validate(
            await call_json(self.http, "POST", "/notify/v1/emails", json=body)
        )
