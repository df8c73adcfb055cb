"""Stripe's test payment methods and what each one does when a PaymentIntent is confirmed with it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# The contract: a pm_card_refundPending refund stays pending this long (simulated time), then succeeds.
REFUND_PENDING_SECONDS = 3 * 24 * 60 * 60


class Behaviour(Enum):
    SUCCEEDS = "succeeds"
    DECLINES = "declines"
    REQUIRES_AUTHENTICATION = "requires_authentication"
    SETTLES_LATER = "settles_later"


@dataclass(frozen=True)
class TestCard:
    behaviour: Behaviour
    decline_code: str = "generic_decline"
    # What a delayed method settles to when nobody settles it explicitly.
    settles_successfully: bool = True
    # How this card's refunds settle; None follows the simulator's settlement settings.
    refund_delay_seconds: int | None = None
    refunds_succeed: bool | None = None


TEST_PAYMENT_METHODS: dict[str, TestCard] = {
    "pm_card_visa": TestCard(Behaviour.SUCCEEDS),
    "pm_card_visa_debit": TestCard(Behaviour.SUCCEEDS),
    "pm_card_mastercard": TestCard(Behaviour.SUCCEEDS),
    "pm_card_amex": TestCard(Behaviour.SUCCEEDS),
    "pm_card_refundPending": TestCard(
        Behaviour.SUCCEEDS, refund_delay_seconds=REFUND_PENDING_SECONDS, refunds_succeed=True
    ),
    "pm_card_refundFail": TestCard(Behaviour.SUCCEEDS, refunds_succeed=False),
    "pm_card_chargeDeclined": TestCard(Behaviour.DECLINES),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(Behaviour.DECLINES, "insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": TestCard(Behaviour.DECLINES, "expired_card"),
    "pm_card_authenticationRequired": TestCard(Behaviour.REQUIRES_AUTHENTICATION),
    "pm_card_threeDSecure2Required": TestCard(Behaviour.REQUIRES_AUTHENTICATION),
    "pm_delayed_succeeds": TestCard(Behaviour.SETTLES_LATER),
    "pm_delayed_fails": TestCard(Behaviour.SETTLES_LATER, settles_successfully=False),
}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}


def card_for(payment_method: str) -> TestCard | None:
    return TEST_PAYMENT_METHODS.get(payment_method)
