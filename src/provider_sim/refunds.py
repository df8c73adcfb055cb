"""Refunds and disputes against a PaymentIntent's charge."""

from __future__ import annotations

from dataclasses import dataclass, field

from provider_sim import charge_flows
from provider_sim.cards import card_for
from provider_sim.errors import invalid_request
from provider_sim.ids import new_id
from provider_sim.ledger import Ledger
from provider_sim.objects import Charge, Dispute, PaymentIntent, Refund, RequestInfo

REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
DISPUTE_REASONS = frozenset({"fraudulent", "product_not_received", "duplicate", "general", "unrecognized"})


@dataclass(frozen=True)
class RefundSpec:
    amount: int | None = None
    reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    currency: str | None = None
    instructions_email: str | None = None


def captured_charge(
    ledger: Ledger, intent: PaymentIntent, param: str = "payment_intent", purpose: str = "refund"
) -> Charge:
    charge = ledger.charges.get(intent.latest_charge or "")
    if charge is None or charge.status != "succeeded" or not charge.captured:
        raise invalid_request(
            f"This PaymentIntent ({intent.id}) does not have a successful charge to {purpose}.",
            param=param,
            code="charge_not_refundable",
        )
    return charge


def create_refund(ledger: Ledger, charge: Charge, spec: RefundSpec, request: RequestInfo) -> Refund:
    """A pending refund; its amount counts against the charge at once, as Stripe counts it."""
    if spec.currency is not None and spec.currency != charge.currency:
        raise invalid_request(
            f"The currency of the refund ({spec.currency}) must match the currency of the charge ({charge.currency}).",
            param="currency",
        )
    remaining = charge.refundable
    if remaining <= 0:
        raise invalid_request(f"Charge {charge.id} has already been refunded.", code="charge_already_refunded")
    amount = remaining if spec.amount is None else spec.amount
    if amount > remaining:
        raise invalid_request(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    refund = Refund(
        id=new_id("re"),
        amount=amount,
        currency=charge.currency,
        charge=charge.id,
        payment_intent=charge.payment_intent,
        payment_method=charge.payment_method,
        created=ledger.now(),
        reason=spec.reason,
        metadata=dict(spec.metadata),
        instructions_email=spec.instructions_email,
        balance_transaction=new_id("txn"),
    )
    ledger.refunds.add(refund)
    charge.amount_refunded += amount
    ledger.emit("refund.created", refund.to_dict(), request)
    ledger.emit("charge.refunded", charge.to_dict(), request)
    return refund


def settles_after_seconds(charge: Charge, default_delay_ms: int | None) -> float | None:
    """How long a new refund on this charge stays pending before it settles by itself (None: until settled)."""
    card = card_for(charge.payment_method)
    if card is not None and card.refund_delay_seconds is not None:
        return float(card.refund_delay_seconds)
    return None if default_delay_ms is None else default_delay_ms / 1000


def outcome_for(ledger: Ledger, refund: Refund, default: bool) -> bool:
    """Whether a refund settles as succeeded: as its card dictates (refundFail fails), else `default`."""
    charge = ledger.charges.get(refund.charge)
    card = None if charge is None else card_for(charge.payment_method)
    return default if card is None or card.refunds_succeed is None else card.refunds_succeed


def settle_refund(ledger: Ledger, refund: Refund, succeed: bool, request: RequestInfo) -> None:
    if refund.status != "pending":
        raise invalid_request(f"Refund {refund.id} has a status of {refund.status}; only pending refunds settle.")
    before = refund.to_dict()
    if succeed:
        refund.status = "succeeded"
    else:
        refund.status, refund.failure_reason = "failed", "declined"
        refund.failure_balance_transaction = new_id("txn")
    _updated(ledger, refund, before, request)
    if not succeed:
        ledger.emit("refund.failed", refund.to_dict(), request)
        charge = ledger.charges.get(refund.charge)
        if charge is not None:
            charge_flows.refund_failed(ledger, charge, refund.amount, request)


def update_refund(
    ledger: Ledger, refund: Refund, metadata: dict[str, str | None], clear: bool, request: RequestInfo
) -> None:
    """`POST /v1/refunds/{id}`: metadata merged (a null value removes its key, `clear` all of them)."""
    before = refund.to_dict()
    if clear:
        refund.metadata.clear()
    for key, value in metadata.items():
        if value is None:
            refund.metadata.pop(key, None)
        else:
            refund.metadata[key] = value
    if refund.to_dict() != before:
        _updated(ledger, refund, before, request)


def cancel_refund(ledger: Ledger, refund: Refund, request: RequestInfo) -> None:
    """Only a refund waiting for the customer's action (`requires_action`) can be canceled; a card refund never
    waits for that, so for the simulator's cards this always refuses, as Stripe does."""
    if refund.status != "requires_action":
        raise invalid_request(
            f"Refund {refund.id} cannot be canceled because it has a status of {refund.status}. Only refunds with a "
            "status of requires_action can be canceled.",
        )
    before = refund.to_dict()
    refund.status = "canceled"
    _updated(ledger, refund, before, request)


def _updated(ledger: Ledger, refund: Refund, before: dict[str, object], request: RequestInfo) -> None:
    # Stripe announces a refund's change twice: as the refund's own event and as its charge's.
    ledger.emit("refund.updated", refund.to_dict(), request, before=before)
    ledger.emit("charge.refund.updated", refund.to_dict(), request, before=before)


def open_dispute(
    ledger: Ledger, intent: PaymentIntent, amount: int | None, reason: str, request: RequestInfo
) -> Dispute:
    charge = captured_charge(ledger, intent, param="id", purpose="dispute")
    if charge.disputed:
        raise invalid_request(f"Charge {charge.id} is already disputed.")
    dispute = Dispute(
        id=new_id("dp"),
        amount=charge.amount_captured if amount is None else amount,
        currency=charge.currency,
        charge=charge.id,
        payment_intent=intent.id,
        payment_method=charge.payment_method,
        created=ledger.now(),
        reason=reason,
    )
    ledger.disputes.add(dispute)
    charge.disputed = True
    ledger.emit("charge.dispute.created", dispute.to_dict(), request)
    return dispute
