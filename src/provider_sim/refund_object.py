"""Refunds and disputes as the simulated account keeps them, and their JSON at the pinned API version."""

from __future__ import annotations

from dataclasses import dataclass, field

from provider_sim.intent_object import JsonObject
from provider_sim.payment_methods import card_facts

# Evidence a dispute response can carry; none is collected by the simulator, so every field is null.
EVIDENCE_FIELDS = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)
# Stripe gives the merchant about three weeks to answer a card dispute.
EVIDENCE_WINDOW_SECONDS = 21 * 24 * 60 * 60
_NETWORK_REASON_CODES = {"fraudulent": "10.4", "product_not_received": "13.1", "duplicate": "12.6.1"}


@dataclass
class Refund:
    id: str
    amount: int
    currency: str
    charge: str
    payment_intent: str
    payment_method: str
    created: int
    reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "pending"
    failure_reason: str | None = None
    instructions_email: str | None = None
    balance_transaction: str | None = None
    failure_balance_transaction: str | None = None

    def to_dict(self) -> JsonObject:
        body: JsonObject = {
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": self.balance_transaction,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "metadata": dict(self.metadata),
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": self.status,
            "transfer_reversal": None,
        }
        # Fields Stripe only sends when they apply (they are not nullable in its spec).
        if self.status == "failed":
            body["failure_reason"] = self.failure_reason or "declined"
            if self.failure_balance_transaction is not None:
                body["failure_balance_transaction"] = self.failure_balance_transaction
        if self.instructions_email is not None:
            body["instructions_email"] = self.instructions_email
        return body


@dataclass
class Dispute:
    id: str
    amount: int
    currency: str
    charge: str
    payment_intent: str
    payment_method: str
    created: int
    reason: str = "fraudulent"
    status: str = "needs_response"
    metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> JsonObject:
        return {
            "id": self.id,
            "object": "dispute",
            "amount": self.amount,
            "balance_transactions": [],
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "evidence": dict.fromkeys(EVIDENCE_FIELDS),
            "evidence_details": {
                "due_by": self.created + EVIDENCE_WINDOW_SECONDS,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": dict(self.metadata),
            "payment_intent": self.payment_intent,
            "payment_method_details": {
                "card": {
                    "brand": card_facts(self.payment_method).brand,
                    "network_reason_code": _NETWORK_REASON_CODES.get(self.reason, "10.4"),
                },
                "type": "card",
            },
            "reason": self.reason,
            "status": self.status,
        }
