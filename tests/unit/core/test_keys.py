"""API keys: recognisable, self-checking, never shown whole."""

import string

import pytest

from fabrika.core.keys import PREFIX, hash_api_key, key_hint, new_api_key, well_formed


def test_a_new_key_has_the_prefix_32_random_base62_characters_and_a_checksum() -> None:
    key = new_api_key()

    assert key.startswith(PREFIX)
    body = key[len(PREFIX) :]
    assert len(body) == 32 + 6
    assert set(body) <= set(string.ascii_letters + string.digits)
    assert well_formed(key)


def test_two_new_keys_differ() -> None:
    assert len({new_api_key() for _ in range(100)}) == 100


@pytest.mark.parametrize("position", [0, 10, 31, 32, 37])
def test_one_changed_character_breaks_the_checksum(position: int) -> None:
    key = new_api_key()
    index = len(PREFIX) + position
    changed = "A" if key[index] != "A" else "B"

    assert not well_formed(key[:index] + changed + key[index + 1 :])


@pytest.mark.parametrize(
    "key", [PREFIX, PREFIX + "x" * 37, PREFIX + "x" * 39, PREFIX + "é" * 38, PREFIX + "-" * 38]
)
def test_a_live_key_of_the_wrong_shape_is_refused(key: str) -> None:
    assert not well_formed(key)


def test_a_key_an_operator_chose_is_looked_up_as_it_is() -> None:
    assert well_formed("demo-key-123")
    assert not well_formed("") and not well_formed("x" * 201)


def test_a_key_is_stored_as_its_sha256() -> None:
    assert hash_api_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_hint_shows_the_prefix_and_the_last_four_only() -> None:
    key = new_api_key()

    assert key_hint(key) == (PREFIX, key[-4:])
    assert key_hint("demo-key-123") == ("demo", "-123")
