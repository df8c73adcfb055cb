"""Checkout's recovery points, its errors, and the hook through which tests stop it half-way."""

from __future__ import annotations

from typing import Protocol

from checkout_engine.errors import Conflict, Invalid

# Recovery points, in order: the idempotency key records the last one reached.
ORDER_CREATED = "order_created"  # order, snapshot, stock holds, coupon redemption and attempt row are committed


class CartEmpty(Invalid):
    code = "cart_empty"


class ItemsUnavailable(Invalid):
    code = "items_unavailable"


class ShippingRequired(Invalid):
    code = "shipping_required"


class InvalidTotal(Invalid):
    code = "invalid_total"


class AmountTooSmall(Invalid):
    """Below the smallest charge the payment provider takes in the currency: it would refuse the intent."""

    code = "amount_too_small"


class PriceChanged(Conflict):
    code = "price_changed"


class CartAlreadyCheckedOut(Conflict):
    code = "cart_already_checked_out"


class OrderNotPayable(Conflict):
    code = "order_not_payable"


class CheckoutExpired(Conflict):
    code = "checkout_expired"


class PaymentInProgress(Conflict):
    """An earlier payment of the order is going through: a second live intent would charge the customer twice."""

    code = "payment_in_progress"


class Hooks(Protocol):
    def reached(self, point: str) -> None:
        """Called after each phase commits; the crash tests raise from here."""


class NoHooks:
    def reached(self, point: str) -> None:
        return None
