"""Stripe's `Idempotency-Key` semantics, kept per API key for 24 hours: once an endpoint has begun executing, its
answer (success or error) is stored and replayed; a request refused before that stores nothing."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from provider_sim.errors import StripeApiError, idempotency_error, idempotency_key_in_use, invalid_request

KEY_TTL_SECONDS = 24 * 60 * 60
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    request_id: str


@dataclass
class _Entry:
    fingerprint: str
    stored_at: float
    response: StoredResponse | None = None


def fingerprint(method: str, path: str, pairs: list[tuple[str, str]]) -> str:
    """Equal for requests Stripe treats as the same: same endpoint, same parameters in any order."""
    encoded = "&".join(f"{key}={value}" for key, value in sorted(pairs))
    return f"{method} {path}?{encoded}"


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise invalid_request(
            f"Invalid idempotency key: keys must be 1 to {MAX_KEY_LENGTH} printable characters.",
            param="Idempotency-Key",
        )


class IdempotencyStore:
    def __init__(self, clock: Callable[[], float] = time.time, ttl_seconds: float = KEY_TTL_SECONDS) -> None:
        self._clock = clock
        self._ttl = ttl_seconds
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def clear(self) -> None:
        self._entries.clear()

    def begin(self, scope: str, key: str, request_fingerprint: str) -> StoredResponse | None:
        """The response to replay, or None once the key is reserved for this request.

        Raises Stripe's idempotency errors for a key reused with other parameters, or still in use.
        """
        self.forget_expired()
        entry = self._entries.get((scope, key))
        if entry is None:
            self._entries[(scope, key)] = _Entry(request_fingerprint, self._clock())
            return None
        if entry.fingerprint != request_fingerprint:
            raise _mismatch(key, entry.fingerprint, request_fingerprint)
        if entry.response is None:
            raise idempotency_key_in_use()
        return entry.response

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        entry = self._entries.get((scope, key))
        if entry is not None:
            entry.response = response

    def release(self, scope: str, key: str) -> None:
        """Frees a reserved key whose request stored nothing, so a retry runs afresh."""
        entry = self._entries.get((scope, key))
        if entry is not None and entry.response is None:
            del self._entries[(scope, key)]

    def forget_expired(self) -> int:
        """Forgets keys stored more than the TTL ago (by the clock given); answers how many."""
        horizon = self._clock() - self._ttl
        forgotten = 0
        while self._entries and next(iter(self._entries.values())).stored_at < horizon:
            self._entries.popitem(last=False)
            forgotten += 1
        return forgotten


def _mismatch(key: str, stored: str, given: str) -> StripeApiError:
    if stored.split("?", 1)[0] != given.split("?", 1)[0]:
        return idempotency_error(
            f"Keys for idempotent requests can only be used for the same endpoint they were first used for ('{key}')."
        )
    return idempotency_error(
        "Keys for idempotent requests can only be used with the same parameters they were first used with. "
        f"Try using a key other than '{key}' if you meant to execute a different request."
    )
