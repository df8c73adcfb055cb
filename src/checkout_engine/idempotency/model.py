"""Idempotent requests, their stored records, and the errors of misuse."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checkout_engine.errors import BadRequest, Conflict, Invalid

MAX_KEY_LENGTH = 255
STARTED = "started"
FINISHED = "finished"


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"


class IdempotencyKeyReused(Invalid):
    code = "idempotency_key_reused"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"


def key_in_use(key: str) -> IdempotencyKeyInUse:
    return IdempotencyKeyInUse(
        "A request with this Idempotency-Key is still being processed; retry shortly.", details={"key": key[:64]}
    )


class LostLock(Exception):
    """Another execution took this key over (ours was presumed dead): stop without writing anything."""


def check_key(key: str | None) -> str:
    if key is None or key == "":
        raise IdempotencyKeyRequired(
            "Send an Idempotency-Key header (1-255 printable ASCII characters) with this call."
        )
    if len(key) > MAX_KEY_LENGTH or not (key.isascii() and key.isprintable()):
        raise BadRequest(
            "The Idempotency-Key must be 1-255 printable ASCII characters.", code="invalid_idempotency_key"
        )
    return key


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    scope: str  # whose keys these are: the cart (storefront) or the API key (admin)
    key: str
    method: str
    path: str
    params: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        canonical = json.dumps([self.method, self.path, self.params], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: int
    scope: str
    key: str
    request_path: str
    request_params: dict[str, Any]
    recovery_point: str
    recovery_data: dict[str, Any]
    response_status: int | None
    response_body: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claimed:
    """We hold the key's lock (``token``) and may move it forward from ``record.recovery_point``."""

    record: KeyRecord
    token: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """A final answer to an idempotent request (its exact JSON text); ``replayed`` when an earlier execution
    stored it."""

    status: int
    raw: str
    replayed: bool = False

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


@dataclass(frozen=True, slots=True)
class Replay:
    """A final answer, stored as the exact JSON text sent the first time, so a replay is byte-for-byte equal."""

    status: int
    raw: str

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed
