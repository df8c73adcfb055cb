"""Verifying a ``Stripe-Signature`` header (``t=<unix>,v1=<hex>[,v1=…]``) on the raw request body.

HMAC-SHA256 of ``"{t}.{body}"`` under each configured secret (a list, so a secret can be rotated without
downtime), compared in constant time, with the timestamp within the tolerance either way.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from checkout_engine.errors import BadRequest

SCHEME = "v1"


class WebhookSignatureError(BadRequest):
    code = "invalid_signature"


def sign(payload: bytes, *, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature_header(payload: bytes, *, secret: str, timestamp: int) -> str:
    return f"t={timestamp},{SCHEME}={sign(payload, secret=secret, timestamp=timestamp)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        # ASCII only: str.isdigit admits other scripts' digits, and compare_digest raises on non-ASCII text.
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value and value.isascii():
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookSignatureError("The Stripe-Signature header is malformed.", details={"reason": "malformed_header"})
    return timestamp, signatures


def verify_signature(
    payload: bytes, header: str | None, *, secrets: list[str], tolerance_seconds: int, now: float | None = None
) -> int:
    """Return the signed timestamp, or raise ``WebhookSignatureError`` saying why the delivery is refused."""
    if not secrets:
        raise WebhookSignatureError("No webhook secret is configured.", details={"reason": "no_secret_configured"})
    if not header:
        raise WebhookSignatureError("The Stripe-Signature header is missing.", details={"reason": "missing_header"})
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookSignatureError(
            "The signature timestamp is outside the tolerance.", details={"reason": "timestamp_outside_tolerance"}
        )
    expected = [sign(payload, secret=secret, timestamp=timestamp) for secret in secrets]
    if not any(hmac.compare_digest(candidate, given) for candidate in expected for given in signatures):
        raise WebhookSignatureError("No signature matches the body.", details={"reason": "no_matching_signature"})
    return timestamp
