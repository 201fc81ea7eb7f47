"""Email addresses in requests: checked and normalised as pydantic's EmailStr does, once.

email-validator's check (IDNA processing of the domain included) costs about 0.06 ms per
address here, and an order's address is validated in every service it passes through, six
times per order, nearly always one of a few addresses (a B2B account has one). Results
are kept per process (0.001 ms); an address refused is checked again each time.
"""

from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema
from pydantic.networks import validate_email


@lru_cache(maxsize=65_536)
def normalized_email(address: str) -> str:
    """The address as EmailStr gives it; a malformed one raises pydantic's own error."""
    return validate_email(address)[1]


EmailAddress = Annotated[
    str,
    AfterValidator(normalized_email),
    WithJsonSchema({"type": "string", "format": "email"}),
]
