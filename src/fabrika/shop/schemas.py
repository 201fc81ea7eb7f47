"""What the shop answers besides the order itself."""

from uuid import UUID

from pydantic import BaseModel


class Accepted(BaseModel):
    """A request taken for processing in the background; poll `status_url`."""

    id: UUID
    status: str
    status_url: str
