"""The PaymentIntent state machine, as Stripe runs it for the test payment methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provider_sim.cards import DECLINE_MESSAGES, Behaviour, TestCard, card_for
from provider_sim.errors import StripeApiError, invalid_request, resource_missing, unexpected_state
from provider_sim.ids import new_id, random_token
from provider_sim.ledger import Ledger
from provider_sim.objects import NO_REQUEST, Charge, IntentStatus, JsonObject, PaymentIntent, RequestInfo

CONFIRMABLE = frozenset(
    {IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_CONFIRMATION, IntentStatus.REQUIRES_ACTION}
)
CANCELABLE = frozenset(
    {
        IntentStatus.REQUIRES_PAYMENT_METHOD,
        IntentStatus.REQUIRES_CONFIRMATION,
        IntentStatus.REQUIRES_ACTION,
        IntentStatus.REQUIRES_CAPTURE,
    }
)
# Stripe holds an online card authorisation for 7 days; uncaptured by then, it lapses.
AUTHORIZATION_VALIDITY_SECONDS = 7 * 24 * 60 * 60
_AUTHENTICATION_FAILURE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again."
)


@dataclass(frozen=True)
class IntentSpec:
    amount: int
    currency: str
    capture_method: str = "automatic"
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    payment_method: str | None = None


def known_card(payment_method: str) -> TestCard:
    card = card_for(payment_method)
    if card is None:
        raise resource_missing("PaymentMethod", payment_method, param="payment_method")
    return card


def create_intent(ledger: Ledger, spec: IntentSpec, request: RequestInfo) -> PaymentIntent:
    if spec.payment_method is not None:
        known_card(spec.payment_method)
    intent_id = new_id("pi")
    intent = PaymentIntent(
        id=intent_id,
        amount=spec.amount,
        currency=spec.currency,
        capture_method="manual" if spec.capture_method == "manual" else "automatic",
        client_secret=f"{intent_id}_secret_{random_token(25)}",
        created=ledger.now(),
        metadata=dict(spec.metadata),
        description=spec.description,
        payment_method=spec.payment_method,
        status=(IntentStatus.REQUIRES_CONFIRMATION if spec.payment_method else IntentStatus.REQUIRES_PAYMENT_METHOD),
    )
    ledger.payment_intents.add(intent)
    ledger.emit("payment_intent.created", intent.to_dict(), request)
    return intent


def confirm_intent(ledger: Ledger, intent: PaymentIntent, payment_method: str | None, request: RequestInfo) -> None:
    """Confirms with the given (or attached) method; a decline is recorded, then raised as Stripe's 402."""
    if intent.status not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent.status.value}.",
            {"payment_intent": intent.to_dict()},
        )
    method = payment_method or intent.payment_method
    if method is None:
        raise invalid_request(
            "You cannot confirm this PaymentIntent because it's missing a payment method. "
            "Update the PaymentIntent with a payment method and then confirm it again.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    card = known_card(method)
    intent.payment_method = method
    intent.last_payment_error = None
    if card.behaviour is Behaviour.SUCCEEDS:
        _succeed(ledger, intent, _new_charge(ledger, intent), request)
    elif card.behaviour is Behaviour.DECLINES:
        raise _decline(ledger, intent, card.decline_code, request)
    elif card.behaviour is Behaviour.REQUIRES_AUTHENTICATION:
        _require_action(ledger, intent, request)
    else:
        _new_charge(ledger, intent)
        intent.status = IntentStatus.PROCESSING
        ledger.emit("payment_intent.processing", intent.to_dict(), request)


def authenticate_intent(ledger: Ledger, intent: PaymentIntent, succeed: bool, request: RequestInfo) -> None:
    _require_status(intent, IntentStatus.REQUIRES_ACTION, "authenticated")
    if succeed:
        _succeed(ledger, intent, _new_charge(ledger, intent), request)
        return
    error = {
        "type": "invalid_request_error",
        "code": "payment_intent_authentication_failure",
        "message": _AUTHENTICATION_FAILURE,
        "payment_method": _payment_method_object(intent.payment_method),
    }
    _fail(ledger, intent, None, error, request)


def settle_intent(ledger: Ledger, intent: PaymentIntent, succeed: bool | None, request: RequestInfo) -> None:
    """Ends `processing`: with the given outcome, or the one the payment method settles to."""
    _require_status(intent, IntentStatus.PROCESSING, "settled")
    charge = ledger.charges.get(intent.latest_charge or "")
    assert charge is not None, "a processing PaymentIntent always has a pending charge"
    if succeed is None:
        succeed = known_card(charge.payment_method).settles_successfully
    if succeed:
        _succeed(ledger, intent, charge, request)
    else:
        _fail(ledger, intent, charge, _decline_error(charge, "generic_decline"), request)


def capture_intent(ledger: Ledger, intent: PaymentIntent, amount: int | None, request: RequestInfo) -> None:
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
    charge.captured, charge.amount_captured = True, to_capture
    intent.amount_received, intent.amount_capturable = to_capture, 0
    intent.status = IntentStatus.SUCCEEDED
    ledger.emit("payment_intent.succeeded", intent.to_dict(), request)


def cancel_intent(ledger: Ledger, intent: PaymentIntent, reason: str | None, request: RequestInfo) -> None:
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
    """An authorisation left uncaptured past its charge's `capture_before`: Stripe cancels it by itself."""
    _require_status(intent, IntentStatus.REQUIRES_CAPTURE, "lapsed")
    cancel_intent(ledger, intent, "automatic", NO_REQUEST)


def alter_record(ledger: Ledger, intent: PaymentIntent, amount: int | None, currency: str | None) -> None:
    """Changes the provider's record silently; received/capturable amounts follow a full-amount payment."""
    charge = ledger.charges.get(intent.latest_charge or "")
    if amount is not None:
        if intent.amount_received == intent.amount:
            intent.amount_received = amount
        if intent.amount_capturable == intent.amount:
            intent.amount_capturable = amount
        intent.amount = amount
        if charge is not None:
            charge.amount = amount
            charge.amount_captured = intent.amount_received if charge.captured else 0
    if currency is not None:
        intent.currency = currency
        if charge is not None:
            charge.currency = currency


def _require_status(intent: PaymentIntent, status: IntentStatus, verb: str) -> None:
    if intent.status is not status:
        raise unexpected_state(
            f"This PaymentIntent cannot be {verb} because it has a status of {intent.status.value}; "
            f"it must be {status.value}."
        )


def _new_charge(ledger: Ledger, intent: PaymentIntent) -> Charge:
    assert intent.payment_method is not None
    charge = Charge(
        id=new_id("ch"),
        amount=intent.amount,
        currency=intent.currency,
        payment_intent=intent.id,
        payment_method=intent.payment_method,
        created=ledger.now(),
        metadata=dict(intent.metadata),
    )
    ledger.charges.add(charge)
    intent.latest_charge = charge.id
    return charge


def _succeed(ledger: Ledger, intent: PaymentIntent, charge: Charge, request: RequestInfo) -> None:
    charge.status = "succeeded"
    intent.next_action, intent.last_payment_error = None, None
    if intent.capture_method == "manual":
        intent.status, intent.amount_capturable = IntentStatus.REQUIRES_CAPTURE, intent.amount
        charge.capture_before = ledger.now() + AUTHORIZATION_VALIDITY_SECONDS
        ledger.emit("payment_intent.amount_capturable_updated", intent.to_dict(), request)
        return
    charge.captured, charge.amount_captured = True, intent.amount
    intent.status, intent.amount_received = IntentStatus.SUCCEEDED, intent.amount
    ledger.emit("payment_intent.succeeded", intent.to_dict(), request)


def _fail(
    ledger: Ledger, intent: PaymentIntent, charge: Charge | None, error: JsonObject, request: RequestInfo
) -> None:
    if charge is not None:
        charge.status = "failed"
        charge.failure_code, charge.failure_message = error["code"], error["message"]
    intent.status = IntentStatus.REQUIRES_PAYMENT_METHOD
    intent.last_payment_error, intent.payment_method, intent.next_action = error, None, None
    ledger.emit("payment_intent.payment_failed", intent.to_dict(), request)


def _decline(ledger: Ledger, intent: PaymentIntent, decline_code: str, request: RequestInfo) -> StripeApiError:
    charge = _new_charge(ledger, intent)
    error = _decline_error(charge, decline_code)
    _fail(ledger, intent, charge, error, request)
    extra = {key: value for key, value in error.items() if key not in ("type", "code", "message")}
    return StripeApiError(
        402,
        "card_error",
        error["message"],
        code="card_declined",
        extra={**extra, "payment_intent": intent.to_dict()},
        replayable=True,
    )


def _decline_error(charge: Charge, decline_code: str) -> JsonObject:
    return {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": decline_code,
        "message": DECLINE_MESSAGES.get(decline_code, DECLINE_MESSAGES["generic_decline"]),
        "charge": charge.id,
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "payment_method": _payment_method_object(charge.payment_method),
    }


def _payment_method_object(payment_method: str | None) -> dict[str, Any] | None:
    if payment_method is None:
        return None
    return {"id": payment_method, "object": "payment_method", "type": "card"}


def _require_action(ledger: Ledger, intent: PaymentIntent, request: RequestInfo) -> None:
    intent.status = IntentStatus.REQUIRES_ACTION
    intent.next_action = {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {
            "type": "three_d_secure_redirect",
            "stripe_js": f"/_sim/payment_intents/{intent.id}/authenticate",
        },
    }
    ledger.emit("payment_intent.requires_action", intent.to_dict(), request)
