"""What a provider event is about: the payment it names, and our payment attempt for it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt


def payment_id(payload: dict[str, Any]) -> str | None:
    obj: dict[str, Any] = payload.get("data", {}).get("object", {})
    if obj.get("object") == "payment_intent":
        return obj.get("id")
    intent = obj.get("payment_intent")
    return intent.get("id") if isinstance(intent, dict) else intent


def attempt_id(payload: dict[str, Any]) -> str | None:
    """The attempt the metadata we set names (the event can beat our own record of the intent's id)."""
    metadata = payload.get("data", {}).get("object", {}).get("metadata") or {}
    named = metadata.get("payment_attempt_id")
    return str(named) if named else None


def find_attempt(conn: sa.Connection, provider: str, payload: dict[str, Any]) -> PaymentAttempt | None:
    """Our attempt for the event's payment, or None when it is not one of ours."""
    paid_with = payment_id(payload)
    if paid_with is None:
        return None
    attempt = attempts.by_provider_id(conn, provider, paid_with)
    if attempt is None and (named := attempt_id(payload)) is not None:
        attempt = attempts.get(conn, named)
    return attempt
