"""The PaymentIntent state machine up to the payment's outcome, as Stripe runs it for the test payment methods."""

from __future__ import annotations

from dataclasses import dataclass, field

from provider_sim import charge_flows
from provider_sim.cards import DECLINE_MESSAGES, Behaviour, TestCard, card_for
from provider_sim.errors import StripeApiError, invalid_request, resource_missing, unexpected_state
from provider_sim.ids import new_id, random_token
from provider_sim.ledger import Ledger
from provider_sim.objects import Charge, IntentStatus, JsonObject, PaymentIntent, RequestInfo
from provider_sim.payment_methods import payment_method_object

CONFIRMABLE = frozenset(
    {IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_CONFIRMATION, IntentStatus.REQUIRES_ACTION}
)
# Amount and currency can change only before a payment is under way.
AMOUNT_EDITABLE = frozenset({IntentStatus.REQUIRES_PAYMENT_METHOD, IntentStatus.REQUIRES_CONFIRMATION})
_AUTHENTICATION_FAILURE = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again."
)
RETURN_URL_REQUIRED = (
    "A `return_url` must be specified because this Payment Intent is configured to automatically accept the "
    "payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you "
    "do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` "
    "and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents."
)


@dataclass(frozen=True)
class IntentSpec:
    amount: int
    currency: str
    capture_method: str = "automatic_async"
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    payment_method: str | None = None
    automatic_payment_methods: JsonObject | None = None
    payment_method_types: tuple[str, ...] = ("card",)
    receipt_email: str | None = None
    setup_future_usage: str | None = None
    shipping: JsonObject | None = None
    statement_descriptor: str | None = None
    statement_descriptor_suffix: str | None = None
    transfer_group: str | None = None


@dataclass(frozen=True)
class ConfirmOptions:
    """What a confirm says beyond the payment method: where a redirect returns to, whether the customer is away."""

    payment_method: str | None = None
    return_url: str | None = None
    off_session: bool = False
    capture_method: str | None = None
    receipt_email: str | None = None
    setup_future_usage: str | None = None
    # Where the simulator itself is reachable, for the 3-D Secure page a redirect leads to.
    base_url: str = ""


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
        capture_method=spec.capture_method,
        client_secret=f"{intent_id}_secret_{random_token(25)}",
        created=ledger.now(),
        metadata=dict(spec.metadata),
        description=spec.description,
        payment_method=spec.payment_method,
        status=(IntentStatus.REQUIRES_CONFIRMATION if spec.payment_method else IntentStatus.REQUIRES_PAYMENT_METHOD),
        automatic_payment_methods=spec.automatic_payment_methods,
        payment_method_types=list(spec.payment_method_types),
        receipt_email=spec.receipt_email,
        setup_future_usage=spec.setup_future_usage,
        shipping=spec.shipping,
        statement_descriptor=spec.statement_descriptor,
        statement_descriptor_suffix=spec.statement_descriptor_suffix,
        transfer_group=spec.transfer_group,
    )
    ledger.payment_intents.add(intent)
    ledger.emit("payment_intent.created", intent.to_dict(), request)
    return intent


def update_intent(intent: PaymentIntent, changes: JsonObject) -> None:
    """`POST /v1/payment_intents/{id}`: the given fields, already checked; no event (Stripe sends none)."""
    if ("amount" in changes or "currency" in changes) and intent.status not in AMOUNT_EDITABLE:
        raise unexpected_state(
            f"You cannot update this PaymentIntent's amount or currency because it has a status of "
            f"{intent.status.value}.",
            {"payment_intent": intent.to_dict()},
        )
    if "payment_method" in changes:
        known_card(changes["payment_method"])
        if intent.status is IntentStatus.REQUIRES_PAYMENT_METHOD:
            intent.status = IntentStatus.REQUIRES_CONFIRMATION
    for name, value in changes.items():
        setattr(intent, name, value)


def confirm_intent(ledger: Ledger, intent: PaymentIntent, options: ConfirmOptions, request: RequestInfo) -> None:
    """Confirms with the given (or attached) method; a decline is recorded, then raised as Stripe's 402."""
    if intent.status not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent.status.value}.",
            {"payment_intent": intent.to_dict()},
        )
    if intent.allows_redirects and options.return_url is None and not options.off_session:
        raise invalid_request(RETURN_URL_REQUIRED)
    method = options.payment_method or intent.payment_method
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
    intent.capture_method = options.capture_method or intent.capture_method
    intent.receipt_email = options.receipt_email or intent.receipt_email
    intent.setup_future_usage = options.setup_future_usage or intent.setup_future_usage
    if card.behaviour is Behaviour.SUCCEEDS:
        _succeed(ledger, intent, charge_flows.new_charge(ledger, intent), request)
    elif card.behaviour is Behaviour.DECLINES:
        raise _decline(ledger, intent, card.decline_code, request)
    elif card.behaviour is Behaviour.REQUIRES_AUTHENTICATION and options.off_session:
        # Off session nobody can authenticate: Stripe declines with `authentication_required`.
        raise _decline(ledger, intent, "authentication_required", request)
    elif card.behaviour is Behaviour.REQUIRES_AUTHENTICATION:
        _require_action(ledger, intent, options, request)
    else:
        charge = charge_flows.new_charge(ledger, intent)
        intent.status = IntentStatus.PROCESSING
        charge_flows.pending(ledger, charge, request)
        ledger.emit("payment_intent.processing", intent.to_dict(), request)


def authenticate_intent(ledger: Ledger, intent: PaymentIntent, succeed: bool, request: RequestInfo) -> None:
    _require_status(intent, IntentStatus.REQUIRES_ACTION, "authenticated")
    if succeed:
        _succeed(ledger, intent, charge_flows.new_charge(ledger, intent), request)
        return
    error = {
        "type": "invalid_request_error",
        "code": "payment_intent_authentication_failure",
        "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
        "message": _AUTHENTICATION_FAILURE,
        "payment_method": payment_method_object(intent.payment_method or "", intent.created),
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
        _fail(ledger, intent, charge, _decline_error(charge, "generic_decline", ledger.now()), request)


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


def _succeed(ledger: Ledger, intent: PaymentIntent, charge: Charge, request: RequestInfo) -> None:
    intent.next_action, intent.last_payment_error = None, None
    if intent.capture_method == "manual":
        charge.capture_before = ledger.now() + AUTHORIZATION_VALIDITY_SECONDS
        charge_flows.authorized(ledger, charge, request, captured=False)
        intent.status, intent.amount_capturable = IntentStatus.REQUIRES_CAPTURE, intent.amount
        ledger.emit("payment_intent.amount_capturable_updated", intent.to_dict(), request)
        return
    charge_flows.authorized(ledger, charge, request, captured=True)
    intent.status, intent.amount_received = IntentStatus.SUCCEEDED, intent.amount
    ledger.emit("payment_intent.succeeded", intent.to_dict(), request)
    charge_flows.booked(ledger, charge, request)


# Stripe holds an online card authorisation for 7 days; uncaptured by then, it lapses.
AUTHORIZATION_VALIDITY_SECONDS = 7 * 24 * 60 * 60


def _fail(
    ledger: Ledger, intent: PaymentIntent, charge: Charge | None, error: JsonObject, request: RequestInfo
) -> None:
    if charge is not None:
        charge_flows.failed(ledger, charge, error, request)
    intent.status = IntentStatus.REQUIRES_PAYMENT_METHOD
    intent.last_payment_error, intent.payment_method, intent.next_action = error, None, None
    ledger.emit("payment_intent.payment_failed", intent.to_dict(), request)


def _decline(ledger: Ledger, intent: PaymentIntent, decline_code: str, request: RequestInfo) -> StripeApiError:
    charge = charge_flows.new_charge(ledger, intent)
    error = _decline_error(charge, decline_code, ledger.now())
    _fail(ledger, intent, charge, error, request)
    extra = {key: value for key, value in error.items() if key not in ("type", "code", "message", "doc_url")}
    return StripeApiError(
        402,
        "card_error",
        error["message"],
        code=error["code"],
        extra={**extra, "payment_intent": intent.to_dict()},
        replayable=True,
    )


def _decline_error(charge: Charge, decline_code: str, now: int) -> JsonObject:
    code = "authentication_required" if decline_code == "authentication_required" else "card_declined"
    return {
        "type": "card_error",
        "code": code,
        "decline_code": decline_code,
        "doc_url": "https://stripe.com/docs/error-codes/" + code.replace("_", "-"),
        "message": DECLINE_MESSAGES.get(decline_code, DECLINE_MESSAGES["generic_decline"]),
        "charge": charge.id,
        "payment_method": payment_method_object(charge.payment_method, now),
    }


def _require_action(ledger: Ledger, intent: PaymentIntent, options: ConfirmOptions, request: RequestInfo) -> None:
    """3-D Secure: with a `return_url` Stripe sends the customer to its page and back; without one the client's
    SDK (Stripe.js) shows the challenge itself."""
    intent.status = IntentStatus.REQUIRES_ACTION
    authenticate = f"{options.base_url}/_sim/payment_intents/{intent.id}/authenticate"
    if options.return_url is not None:
        intent.next_action = {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": options.return_url, "url": authenticate},
        }
    else:
        intent.next_action = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": authenticate},
        }
    ledger.emit("payment_intent.requires_action", intent.to_dict(), request)
