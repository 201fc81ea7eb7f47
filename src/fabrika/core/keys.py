"""API keys as services store and compare them: by their SHA-256, never in clear."""

import hashlib


def hash_api_key(api_key: str) -> str:
    """The key's SHA-256 in hex: what the CRM stores and what caches are keyed by."""
    return hashlib.sha256(api_key.encode()).hexdigest()
