"""The simulated Stripe objects and their JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JsonObject = dict[str, Any]


class IntentStatus(StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


@dataclass
class PaymentIntent:
    id: str
    amount: int
    currency: str
    capture_method: str
    client_secret: str
    created: int
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    status: IntentStatus = IntentStatus.REQUIRES_PAYMENT_METHOD
    amount_capturable: int = 0
    amount_received: int = 0
    payment_method: str | None = None
    latest_charge: str | None = None
    last_payment_error: JsonObject | None = None
    next_action: JsonObject | None = None
    canceled_at: int | None = None
    cancellation_reason: str | None = None

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_received": self.amount_received,
            "capture_method": self.capture_method,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "customer": None,
            "description": self.description,
            "last_payment_error": dict(self.last_payment_error) if self.last_payment_error else None,
            "latest_charge": self.latest_charge,
            "livemode": False,
            "metadata": dict(self.metadata),
            "next_action": dict(self.next_action) if self.next_action else None,
            "payment_method": self.payment_method,
            "payment_method_types": ["card"],
            "status": self.status.value,
        }


@dataclass
class Charge:
    id: str
    amount: int
    currency: str
    payment_intent: str
    payment_method: str
    created: int
    status: str = "pending"
    captured: bool = False
    amount_captured: int = 0
    amount_refunded: int = 0
    disputed: bool = False
    failure_code: str | None = None
    failure_message: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    # Set on a manual-capture authorisation: after this, an uncaptured charge lapses.
    capture_before: int | None = None

    def to_dict(self) -> JsonObject:
        card = {} if self.capture_before is None else {"capture_before": self.capture_before}
        return {
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_captured,
            "amount_refunded": self.amount_refunded,
            "balance_transaction": None,
            "captured": self.captured,
            "created": self.created,
            "currency": self.currency,
            "disputed": self.disputed,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
            "livemode": False,
            "metadata": dict(self.metadata),
            "paid": self.status == "succeeded",
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method,
            "payment_method_details": {"card": card, "type": "card"},
            "refunded": self.captured and self.amount_refunded >= self.amount_captured,
            "status": self.status,
        }


@dataclass
class Refund:
    id: str
    amount: int
    currency: str
    charge: str
    payment_intent: str
    created: int
    reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "pending"
    failure_reason: str | None = None

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": None,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "failure_reason": self.failure_reason,
            "metadata": dict(self.metadata),
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": self.status,
        }


@dataclass
class Dispute:
    id: str
    amount: int
    currency: str
    charge: str
    payment_intent: str
    created: int
    reason: str = "fraudulent"
    status: str = "needs_response"

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "object": "dispute",
            "amount": self.amount,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "livemode": False,
            "metadata": {},
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": self.status,
        }


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused a change, as events report it."""

    id: str | None = None
    idempotency_key: str | None = None

    def to_dict(self) -> JsonObject:
        return {"id": self.id, "idempotency_key": self.idempotency_key}


NO_REQUEST = RequestInfo()


@dataclass
class Event:
    id: str
    type: str
    created: int
    api_version: str
    data_object: JsonObject
    request: RequestInfo
    pending_webhooks: int = 0

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "object": "event",
            "api_version": self.api_version,
            "created": self.created,
            "data": {"object": self.data_object},
            "livemode": False,
            "pending_webhooks": self.pending_webhooks,
            "request": self.request.to_dict(),
            "type": self.type,
        }
