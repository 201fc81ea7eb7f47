"""API keys: how they look, how they are checked before any lookup, how they are stored.

A key is `fab_live_`, 32 random base62 characters, and a 6-character base62 CRC32 of them
(the scheme GitHub's tokens use): a secret scanner recognises the prefix and can verify the
checksum without asking us, and a mistyped key is refused before it costs a lookup. Keys
are stored only as their SHA-256; lists and logs show the prefix and the last 4 characters.
"""

import hashlib
import secrets
import string
import zlib

PREFIX = "fab_live_"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
BASE62 = string.digits + string.ascii_letters
KEY_LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), CHECKSUM_LENGTH)


def new_api_key() -> str:
    """A fresh key, with 32 × log2(62) ≈ 190 bits of randomness."""
    random_part = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return PREFIX + random_part + _checksum(random_part)


def well_formed(api_key: str) -> bool:
    """Whether a key could be one of ours: a `fab_live_` key must carry its checksum. Keys
    an operator chose themselves (a demo key set in the environment) are looked up as
    they are."""
    if not api_key.startswith(PREFIX):
        return 0 < len(api_key) <= 200
    body = api_key[len(PREFIX) :]
    if len(body) != RANDOM_LENGTH + CHECKSUM_LENGTH or any(c not in BASE62 for c in body):
        return False
    random_part, checksum = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    return secrets.compare_digest(_checksum(random_part), checksum)


def hash_api_key(api_key: str) -> str:
    """The key's SHA-256 in hex: what the CRM stores and what caches are keyed by."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def key_hint(api_key: str) -> tuple[str, str]:
    """(prefix, last 4): all that lists and logs ever show of a key."""
    prefix = PREFIX if api_key.startswith(PREFIX) else api_key[:4]
    return prefix, api_key[-4:]
