"""The PaymentIntent as the simulated account keeps it, and its JSON at the pinned API version."""

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


_CARD_OPTIONS = {"installments": None, "mandate_options": None, "network": None, "request_three_d_secure": "automatic"}


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
    # `{"enabled": True, "allow_redirects": "always" | "never"}`, or None when the types were chosen explicitly.
    automatic_payment_methods: JsonObject | None = None
    payment_method_types: list[str] = field(default_factory=lambda: ["card"])
    receipt_email: str | None = None
    setup_future_usage: str | None = None
    shipping: JsonObject | None = None
    statement_descriptor: str | None = None
    statement_descriptor_suffix: str | None = None
    transfer_group: str | None = None

    @property
    def allows_redirects(self) -> bool:
        """Whether a confirm must name a `return_url` (redirect-based methods may be offered)."""
        automatic = self.automatic_payment_methods
        return bool(automatic and automatic.get("enabled") and automatic.get("allow_redirects") != "never")

    def to_dict(self) -> JsonObject:
        # The fields of the 2023-08-16 spec, every nullable one sent (as null when empty): Stripe never leaves one
        # out. Fields added since are not sent and `invoice` (gone since 2025-03-31.basil) still is; see the README.
        automatic = self.automatic_payment_methods
        return {
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_details": {"tip": {}},
            "amount_received": self.amount_received,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": dict(automatic) if automatic else None,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method,
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
            "invoice": None,
            "next_action": dict(self.next_action) if self.next_action else None,
            "on_behalf_of": None,
            "payment_method": self.payment_method,
            "payment_method_options": {"card": dict(_CARD_OPTIONS)},
            "payment_method_types": list(self.payment_method_types),
            "processing": {"type": "card", "card": {}} if self.status is IntentStatus.PROCESSING else None,
            "receipt_email": self.receipt_email,
            "review": None,
            "setup_future_usage": self.setup_future_usage,
            "shipping": dict(self.shipping) if self.shipping else None,
            "statement_descriptor": self.statement_descriptor,
            "statement_descriptor_suffix": self.statement_descriptor_suffix,
            "status": self.status.value,
            "transfer_data": None,
            "transfer_group": self.transfer_group,
        }
