"""What we know of a provider's payments, refunds and events, in our own normalized terms.

The raw provider status is always kept beside the normalized one, for debugging and reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from checkout_engine.errors import CheckoutError, Unavailable


class PaymentStatus(StrEnum):
    PENDING = "pending"  # created, waiting for the customer's payment method or confirmation
    REQUIRES_ACTION = "requires_action"  # 3-D Secure or similar
    PROCESSING = "processing"  # a delayed method, not settled yet
    AUTHORIZED = "authorized"  # funds held, capture pending
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the last attempt was declined; the intent itself may still be retried
    CANCELED = "canceled"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True, slots=True)
class IntentRequest:
    """A payment intent we want the provider to hold. ``reference`` is our attempt id: it goes into the
    metadata and is how a lost answer is found again."""

    amount: int
    currency: str
    reference: str
    metadata: dict[str, str]
    idempotency_key: str
    manual_capture: bool = False
    # When our attempt began: after a lost answer the intent is looked for among those created since then.
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    id: str
    status: PaymentStatus
    raw_status: str
    amount: int
    amount_received: int
    amount_capturable: int
    currency: str
    client_secret: str | None
    metadata: dict[str, str]
    latest_charge: str | None
    error_code: str | None
    created: int


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    id: str
    payment_id: str
    amount: int
    currency: str
    status: RefundStatus
    raw_status: str
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    id: str
    type: str
    created: int
    object_id: str | None
    data: dict[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class EventPage:
    events: tuple[ProviderEvent, ...]
    has_more: bool


def provider_idempotency_key(operation: str, record_id: str) -> str:
    """Derived from our own record, so every retry of one operation sends the same key (never random)."""
    return f"ce:{operation}:{record_id}"


class ProviderError(CheckoutError):
    """The provider refused or could not answer. ``retryable`` says whether trying again later may help."""

    code = "provider_error"
    retryable = False


class ProviderUnavailable(ProviderError, Unavailable):
    """Timeout, connection failure, 5xx or rate limit: we do not know whether the call took effect."""

    code = "provider_unavailable"
    retryable = True


class PaymentDeclined(ProviderError):
    code = "payment_declined"

    def __init__(self, message: str, *, decline_code: str | None, payment_id: str | None) -> None:
        super().__init__(message, details={"decline_code": decline_code, "payment_id": payment_id})
        self.decline_code = decline_code
        self.payment_id = payment_id


class ProviderKeyInUse(ProviderUnavailable):
    """Another request with the same idempotency key is still running at the provider: ask again after a pause,
    when it has an answer to replay."""

    code = "provider_idempotency_key_in_use"


class ProviderRejected(ProviderError):
    """The provider refused the request (over-refund, bad state, a key reused with other parameters). The refusal
    is stored under the key: ``replayed`` says whether this is that stored answer given again, a verdict on the
    state the provider saw back then rather than now."""

    code = "provider_rejected"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None, replayed: bool = False
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.replayed = replayed


class ProviderMisconfigured(ProviderError):
    """Our credentials are refused: nothing will work until an operator fixes the settings."""

    code = "provider_misconfigured"
