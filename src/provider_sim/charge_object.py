"""The Charge behind a PaymentIntent's confirmation, and its JSON at the pinned API version."""

from __future__ import annotations

from dataclasses import dataclass, field

from provider_sim.intent_object import JsonObject
from provider_sim.payment_methods import billing_details, charge_card_details

_APPROVED = {
    "network_status": "approved_by_network",
    "reason": None,
    "risk_level": "normal",
    "risk_score": 20,
    "seller_message": "Payment complete.",
    "type": "authorized",
}
_DECLINED_MESSAGE = "The bank did not return any further details with this decline."


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
    # Only refunds count here: since 2025-03-31.basil neither a partial capture nor a cancellation changes it.
    amount_refunded: int = 0
    disputed: bool = False
    failure_code: str | None = None
    failure_message: str | None = None
    decline_code: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    receipt_email: str | None = None
    statement_descriptor: str | None = None
    statement_descriptor_suffix: str | None = None
    transfer_group: str | None = None
    balance_transaction: str | None = None
    # Set on a manual-capture authorisation: after this, an uncaptured charge lapses.
    capture_before: int | None = None

    @property
    def refundable(self) -> int:
        """What refunds can still take back: the captured amount less what was refunded already."""
        return self.amount_captured - self.amount_refunded

    def _outcome(self) -> JsonObject | None:
        if self.status == "pending":
            return None
        if self.status == "failed":
            return {
                "network_status": "declined_by_network",
                "reason": self.decline_code or "generic_decline",
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": _DECLINED_MESSAGE,
                "type": "issuer_declined",
            }
        return dict(_APPROVED)

    def to_dict(self) -> JsonObject:
        # The fields of the 2023-08-16 spec, every nullable one sent (null when empty), except `refunds`: not
        # included unless expanded since 2022-11-15.
        return {
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_captured,
            "amount_refunded": self.amount_refunded,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": self.balance_transaction,
            "billing_details": billing_details(),
            "calculated_statement_descriptor": "SIMULATED SHOP" if self.status != "failed" else None,
            "captured": self.captured,
            "created": self.created,
            "currency": self.currency,
            "customer": None,
            "description": self.description,
            "disputed": self.disputed,
            "failure_balance_transaction": None,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
            "fraud_details": {},
            "invoice": None,
            "livemode": False,
            "metadata": dict(self.metadata),
            "on_behalf_of": None,
            "outcome": self._outcome(),
            "paid": self.status == "succeeded",
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method,
            "payment_method_details": {
                "card": charge_card_details(self.payment_method, self.capture_before),
                "type": "card",
            },
            "radar_options": {},
            "receipt_email": self.receipt_email,
            "receipt_number": None,
            "receipt_url": None,
            "refunded": self.captured and self.amount_refunded >= self.amount_captured > 0,
            "review": None,
            "shipping": None,
            "source_transfer": None,
            "statement_descriptor": self.statement_descriptor,
            "statement_descriptor_suffix": self.statement_descriptor_suffix,
            "status": self.status,
            "transfer_data": None,
            "transfer_group": self.transfer_group,
        }
