"""Stripe's minimum charge amounts, in minor units: a smaller intent is refused with ``amount_too_small``
(Stripe's "Minimum and maximum charge amounts"). Checkout refuses such a total itself, before it holds anything."""

from __future__ import annotations

MINIMUM_CHARGE: dict[str, int] = {
    "USD": 50,
    "AED": 200,
    "AUD": 50,
    "BGN": 100,
    "BRL": 50,
    "CAD": 50,
    "CHF": 50,
    "CZK": 1500,
    "DKK": 250,
    "EUR": 50,
    "GBP": 30,
    "HKD": 400,
    "HUF": 17500,
    "INR": 50,
    "JPY": 50,
    "MXN": 1000,
    "MYR": 200,
    "NOK": 300,
    "NZD": 50,
    "PLN": 200,
    "RON": 200,
    "SEK": 300,
    "SGD": 50,
    "THB": 1000,
}
# Other currencies: Stripe's rule is the equivalent of USD 0.50 at the day's rate, which only Stripe can tell.
UNLISTED_MINIMUM = 1


def minimum_charge(currency: str) -> int:
    return MINIMUM_CHARGE.get(currency.upper(), UNLISTED_MINIMUM)
