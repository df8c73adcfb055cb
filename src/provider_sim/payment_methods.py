"""The card behind each test payment method, as a PaymentMethod object and as a charge's card details."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from provider_sim.intent_object import JsonObject


@dataclass(frozen=True)
class CardFacts:
    brand: str
    last4: str
    funding: str = "credit"
    country: str = "US"
    exp_month: int = 12
    exp_year: int = 2034


# Stripe's published test card numbers behind its `pm_card_*` shortcuts (last four digits and brand).
_FACTS = {
    "pm_card_visa": CardFacts("visa", "4242"),
    "pm_card_visa_debit": CardFacts("visa", "5556", funding="debit"),
    "pm_card_mastercard": CardFacts("mastercard", "4444"),
    "pm_card_amex": CardFacts("amex", "8431"),
    "pm_card_refundPending": CardFacts("visa", "0077"),
    "pm_card_refundFail": CardFacts("visa", "5126"),
    "pm_card_chargeDeclined": CardFacts("visa", "0002"),
    "pm_card_chargeDeclinedInsufficientFunds": CardFacts("visa", "9995"),
    "pm_card_chargeDeclinedExpiredCard": CardFacts("visa", "0069"),
    "pm_card_authenticationRequired": CardFacts("visa", "3184"),
    "pm_card_threeDSecure2Required": CardFacts("visa", "3220"),
}
_DEFAULT = CardFacts("visa", "4242")
_EMPTY_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}


def card_facts(payment_method: str) -> CardFacts:
    return _FACTS.get(payment_method, _DEFAULT)


def fingerprint(payment_method: str) -> str:
    """Stable per card, as Stripe's is: the same test card always has the same fingerprint."""
    return hashlib.sha256(card_facts(payment_method).last4.encode()).hexdigest()[:16]


def billing_details() -> JsonObject:
    """No billing details are collected by the simulator: every field is there, and null."""
    return {"address": dict(_EMPTY_ADDRESS), "email": None, "name": None, "phone": None}


def payment_method_object(payment_method: str, created: int) -> JsonObject:
    """The PaymentMethod as errors embed it (`last_payment_error.payment_method`)."""
    facts = card_facts(payment_method)
    return {
        "id": payment_method,
        "object": "payment_method",
        "billing_details": billing_details(),
        "card": {
            "brand": facts.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "unchecked"},
            "country": facts.country,
            "exp_month": facts.exp_month,
            "exp_year": facts.exp_year,
            "fingerprint": fingerprint(payment_method),
            "funding": facts.funding,
            "generated_from": None,
            "last4": facts.last4,
            "networks": {"available": [facts.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": created,
        "customer": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def charge_card_details(payment_method: str, capture_before: int | None) -> JsonObject:
    """`payment_method_details.card` of a charge made with the test card."""
    facts = card_facts(payment_method)
    details: JsonObject = {
        "brand": facts.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "country": facts.country,
        "exp_month": facts.exp_month,
        "exp_year": facts.exp_year,
        "fingerprint": fingerprint(payment_method),
        "funding": facts.funding,
        "installments": None,
        "last4": facts.last4,
        "mandate": None,
        "network": facts.brand,
        "network_token": {"used": False},
        "three_d_secure": None,
        "wallet": None,
    }
    # Only a manual-capture authorisation has a deadline.
    if capture_before is not None:
        details["capture_before"] = capture_before
    return details
