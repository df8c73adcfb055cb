"""Webhook signatures exactly as Stripe makes them."""

from __future__ import annotations

import hashlib
import hmac


def signature(secret: str, timestamp: int, payload: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, payload: str) -> str:
    """The `Stripe-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload">`."""
    return f"t={timestamp},v1={signature(secret, timestamp, payload)}"
