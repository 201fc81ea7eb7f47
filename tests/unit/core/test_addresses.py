"""Email addresses are checked and normalised as EmailStr does; a refusal says why."""

import pytest
from pydantic import BaseModel, EmailStr, ValidationError

from fabrika.core.addresses import EmailAddress


class Ours(BaseModel):
    email: EmailAddress


class Pydantics(BaseModel):
    email: EmailStr


@pytest.mark.parametrize(
    "address",
    ["Anna.Petrova@Example.COM", "olga@пример.рф", "a+tag@sub.example.org", "x@EXAMPLE.com"],
)
def test_an_address_is_normalised_as_emailstr_does(address: str) -> None:
    assert Ours(email=address).email == Pydantics(email=address).email
    assert Ours(email=address).email == Ours(email=address).email  # again, from memory


@pytest.mark.parametrize("address", ["no-at-sign", "two@@example.com", "a@b", "a@exa mple.com"])
def test_a_malformed_address_is_refused_each_time_with_the_reason(address: str) -> None:
    for _ in range(2):
        with pytest.raises(ValidationError) as refused:
            Ours(email=address)
        assert "value is not a valid email address" in str(refused.value)


def test_the_schema_still_says_email() -> None:
    assert Ours.model_json_schema()["properties"]["email"]["format"] == "email"
