"""Identifiers: a readable prefix plus enough randomness to be unguessable (cart ids are capabilities)."""

from __future__ import annotations

import base64
import secrets

ID_ENTROPY_BYTES = 20  # 160 bits: guessing one live cart id is hopeless


def new_id(prefix: str) -> str:
    raw = secrets.token_bytes(ID_ENTROPY_BYTES)
    return f"{prefix}_{base64.b32encode(raw).decode('ascii').rstrip('=').lower()}"
