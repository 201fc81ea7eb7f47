"""Reading an Idempotency-Key, and what makes two requests "the same"."""

import uuid

import pytest

from fabrika.b2b.idempotency import fingerprint, name_for, parse_key, required_key
from fabrika.core.errors import Problem


@pytest.mark.parametrize(
    ("raw", "key"),
    [("abc-123", "abc-123"), ('"abc-123"', "abc-123"), ("  abc ", "abc"), ('"a\\"b"', 'a"b')],
)
def test_a_key_is_taken_bare_or_as_a_structured_string(raw: str, key: str) -> None:
    assert parse_key(raw) == key


@pytest.mark.parametrize("raw", ["", '""', "x" * 256, "a\x00b"])
def test_an_empty_overlong_or_unprintable_key_is_refused(raw: str) -> None:
    with pytest.raises(Problem) as refused:
        parse_key(raw)
    assert refused.value.status == 400 and "255" in refused.value.detail


def test_a_missing_key_where_one_is_required_is_a_400_saying_why() -> None:
    assert parse_key(None) is None
    with pytest.raises(Problem) as refused:
        required_key(None)
    assert refused.value.status == 400 and "second order" in refused.value.detail


def test_the_same_body_in_another_key_order_is_the_same_request() -> None:
    first = fingerprint("POST", "/v1/orders", {"a": 1, "b": [1, 2]})

    assert first == fingerprint("POST", "/v1/orders", {"b": [1, 2], "a": 1})
    assert first != fingerprint("POST", "/v1/orders", {"a": 1, "b": [2, 1]})
    assert first != fingerprint("POST", "/v1/quotes", {"a": 1, "b": [1, 2]})


def test_what_a_keyed_call_makes_is_named_from_the_account_and_the_key() -> None:
    account, other = uuid.uuid4(), uuid.uuid4()

    assert name_for(account, "k") == name_for(account, "k")
    assert name_for(account, "k") != name_for(other, "k")
    assert name_for(account, "k") != name_for(account, "l")
