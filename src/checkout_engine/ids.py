"""Identifiers: a readable prefix plus enough randomness to be unguessable (cart ids are capabilities)."""

from __future__ import annotations

import base64
import math
import secrets

ID_ENTROPY_BYTES = 20  # 160 bits: guessing one live cart id is hopeless
ID_RANDOM_LENGTH = math.ceil(ID_ENTROPY_BYTES * 8 / 5)  # base32 letters, padding stripped


def new_id(prefix: str) -> str:
    raw = secrets.token_bytes(ID_ENTROPY_BYTES)
    return f"{prefix}_{base64.b32encode(raw).decode('ascii').rstrip('=').lower()}"


def id_pattern(prefix: str) -> str:
    """The regular expression every id ``new_id(prefix)`` makes matches, and nothing else."""
    return rf"^{prefix}_[a-z2-7]{{{ID_RANDOM_LENGTH}}}$"


def token_pattern(entropy_bytes: int) -> str:
    """What ``secrets.token_urlsafe(entropy_bytes)`` makes: URL-safe base64 without padding."""
    return rf"^[A-Za-z0-9_-]{{{math.ceil(entropy_bytes * 4 / 3)}}}$"
