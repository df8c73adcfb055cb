"""The end of an authorisation: captured (wholly or in part), canceled, or lapsed at `capture_before`."""

from __future__ import annotations

from provider_sim import charge_flows
from provider_sim.errors import invalid_request, unexpected_state
from provider_sim.ledger import Ledger
from provider_sim.objects import NO_REQUEST, IntentStatus, PaymentIntent, RequestInfo

CANCELABLE = frozenset(
    {
        IntentStatus.REQUIRES_PAYMENT_METHOD,
        IntentStatus.REQUIRES_CONFIRMATION,
        IntentStatus.REQUIRES_ACTION,
        IntentStatus.REQUIRES_CAPTURE,
    }
)


def capture_intent(
    ledger: Ledger,
    intent: PaymentIntent,
    amount: int | None,
    request: RequestInfo,
    *,
    metadata: dict[str, str] | None = None,
    statement_descriptor: str | None = None,
    statement_descriptor_suffix: str | None = None,
) -> None:
    if intent.status is not IntentStatus.REQUIRES_CAPTURE:
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {intent.status.value}. "
            "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
            {"payment_intent": intent.to_dict()},
        )
    to_capture = intent.amount_capturable if amount is None else amount
    if to_capture > intent.amount_capturable:
        raise invalid_request(
            f"The provided amount_to_capture ({to_capture}) is greater than the amount_capturable "
            f"({intent.amount_capturable}).",
            param="amount_to_capture",
            code="amount_too_large",
        )
    charge = ledger.charges.get(intent.latest_charge or "")
    assert charge is not None, "a capturable PaymentIntent always has a charge"
    if metadata:
        intent.metadata.update(metadata)
        charge.metadata.update(metadata)
    if statement_descriptor is not None:
        intent.statement_descriptor = charge.statement_descriptor = statement_descriptor
    if statement_descriptor_suffix is not None:
        intent.statement_descriptor_suffix = charge.statement_descriptor_suffix = statement_descriptor_suffix
    charge_flows.captured(ledger, charge, to_capture, request)
    intent.amount_received, intent.amount_capturable = to_capture, 0
    intent.status = IntentStatus.SUCCEEDED
    ledger.emit("payment_intent.succeeded", intent.to_dict(), request)
    charge_flows.booked(ledger, charge, request)


def cancel_intent(ledger: Ledger, intent: PaymentIntent, reason: str | None, request: RequestInfo) -> None:
    """Cancels; an authorisation is released, which since 2025-03-31.basil leaves its charge as it was (not
    refunded, no `charge.refunded`)."""
    if intent.status not in CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {intent.status.value}. "
            "Only a PaymentIntent with one of the following statuses may be canceled: "
            "requires_payment_method, requires_capture, requires_confirmation, requires_action.",
            {"payment_intent": intent.to_dict()},
        )
    intent.status = IntentStatus.CANCELED
    intent.canceled_at, intent.cancellation_reason = ledger.now(), reason
    intent.amount_capturable, intent.next_action = 0, None
    ledger.emit("payment_intent.canceled", intent.to_dict(), request)


def lapse_authorization(ledger: Ledger, intent: PaymentIntent) -> None:
    """An authorisation left uncaptured past its charge's `capture_before`: the bank lets it go
    (`charge.expired`) and Stripe cancels the intent with the reason `expired` (`automatic` before basil)."""
    if intent.status is not IntentStatus.REQUIRES_CAPTURE:
        raise unexpected_state(f"This PaymentIntent cannot lapse because it has a status of {intent.status.value}.")
    charge = ledger.charges.get(intent.latest_charge or "")
    if charge is not None:
        charge_flows.expired(ledger, charge, NO_REQUEST)
    cancel_intent(ledger, intent, "expired", NO_REQUEST)
