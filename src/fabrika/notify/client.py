"""How other services ask for notifications."""

from fabrika.core.http import ServiceClient, call_json
from fabrika.notify.schemas import DeliveryView, EmailRequest


class NotifyClient:
    def __init__(self, http: ServiceClient) -> None:
        self.http = http

    async def send_email(self, request: EmailRequest) -> DeliveryView:
        body = request.model_dump(mode="json")
        return DeliveryView.model_validate(
            await call_json(self.http, "POST", "/notify/v1/emails", json=body)
        )
