"""What happens to a PaymentIntent's charge, with the `charge.*` events Stripe sends for each step."""

from __future__ import annotations

from provider_sim.ids import new_id
from provider_sim.ledger import Ledger
from provider_sim.objects import Charge, JsonObject, PaymentIntent, RequestInfo


def new_charge(ledger: Ledger, intent: PaymentIntent) -> Charge:
    assert intent.payment_method is not None
    charge = Charge(
        id=new_id("ch"),
        amount=intent.amount,
        currency=intent.currency,
        payment_intent=intent.id,
        payment_method=intent.payment_method,
        created=ledger.now(),
        metadata=dict(intent.metadata),
        description=intent.description,
        receipt_email=intent.receipt_email,
        statement_descriptor=intent.statement_descriptor,
        statement_descriptor_suffix=intent.statement_descriptor_suffix,
        transfer_group=intent.transfer_group,
    )
    ledger.charges.add(charge)
    intent.latest_charge = charge.id
    return charge


def pending(ledger: Ledger, charge: Charge, request: RequestInfo) -> None:
    """A charge whose outcome comes later (`processing` intents)."""
    ledger.emit("charge.pending", charge.to_dict(), request)


def authorized(ledger: Ledger, charge: Charge, request: RequestInfo, *, captured: bool) -> None:
    """The bank approved: captured at once, or held for a later capture."""
    charge.status = "succeeded"
    if captured:
        charge.captured, charge.amount_captured = True, charge.amount
    ledger.emit("charge.succeeded", charge.to_dict(), request)


def failed(ledger: Ledger, charge: Charge, error: JsonObject, request: RequestInfo) -> None:
    charge.status = "failed"
    charge.failure_code, charge.failure_message = error["code"], error["message"]
    charge.decline_code = error.get("decline_code")
    ledger.emit("charge.failed", charge.to_dict(), request)


def captured(ledger: Ledger, charge: Charge, amount: int, request: RequestInfo) -> None:
    """A held charge captured, wholly or in part. The rest of the authorisation is released; since
    2025-03-31.basil that shows nowhere on the charge but in `amount_captured` (no refund, no `amount_refunded`)."""
    charge.captured, charge.amount_captured = True, amount
    ledger.emit("charge.captured", charge.to_dict(), request)


def booked(ledger: Ledger, charge: Charge, request: RequestInfo) -> None:
    """The balance transaction of a captured charge, which Stripe adds just after (`charge.updated`)."""
    before = charge.to_dict()
    charge.balance_transaction = new_id("txn")
    ledger.emit("charge.updated", charge.to_dict(), request, before=before)


def expired(ledger: Ledger, charge: Charge, request: RequestInfo) -> None:
    """An authorisation left uncaptured past `capture_before`: the bank let it go."""
    ledger.emit("charge.expired", charge.to_dict(), request)


def refund_failed(ledger: Ledger, charge: Charge, amount: int, request: RequestInfo) -> None:
    """A failed refund's amount counts as not refunded again."""
    before = charge.to_dict()
    charge.amount_refunded -= amount
    ledger.emit("charge.updated", charge.to_dict(), request, before=before)
