"""API keys as one Stripe test account sees them: any `sk_test_` key, `pk_test_` only where Stripe allows."""

from __future__ import annotations

import base64
import binascii
import hmac
from enum import Enum

from provider_sim.errors import authentication_failed

_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
    "See https://stripe.com/docs/api#authentication for details."
)
_PUBLISHABLE_REFUSED = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. "
    "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
)
_SECRET_MISMATCH = "The client_secret provided does not match the client_secret associated with the PaymentIntent."


class KeyKind(Enum):
    SECRET = "secret"
    PUBLISHABLE = "publishable"


def _masked(key: str) -> str:
    return f"{key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}" if len(key) > 12 else key


def api_key_from(authorization: str | None) -> str:
    """The key from `Bearer <key>`, or from Basic auth with the key as user name (Stripe takes both)."""
    if not authorization:
        raise authentication_failed(_NO_KEY)
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            user = ""
        if user:
            return user
    raise authentication_failed(_NO_KEY)


def key_kind(api_key: str) -> KeyKind:
    if api_key.startswith("sk_test_") and len(api_key) > len("sk_test_"):
        return KeyKind.SECRET
    if api_key.startswith("pk_test_") and len(api_key) > len("pk_test_"):
        return KeyKind.PUBLISHABLE
    raise authentication_failed(f"Invalid API Key provided: {_masked(api_key)}")


def authorize(
    api_key: str, *, publishable_allowed: bool, given_secret: str | None, expected_secret: str | None
) -> None:
    """Secret keys may do anything; a publishable key only a call that proves the client secret."""
    if key_kind(api_key) is KeyKind.SECRET:
        return
    if not publishable_allowed:
        raise authentication_failed(_PUBLISHABLE_REFUSED)
    if not given_secret or expected_secret is None or not hmac.compare_digest(given_secret, expected_secret):
        raise authentication_failed(_SECRET_MISMATCH)
