"""Coupons: never redeemed beyond their limit, and spent exactly by the orders that were paid with them."""

from __future__ import annotations

from collections import Counter

from checkout_engine.invariants.model import MONEY_IN, Violation
from checkout_engine.invariants.world import RedemptionRow, World

HELD = frozenset({"reserved", "consumed"})  # a redemption that counts against the coupon's limit


def coupons_within_limits(world: World) -> list[Violation]:
    """No coupon has more redemptions reserved or consumed than its ``max_redemptions``. The one exception is money
    already taken: a payment that succeeded after its order gave the redemption back (its intent could not be
    stopped in time) spends the coupon all the same, and flags the order for a person; so redemptions beyond the
    limit must each be a consumed one of an order under review."""
    held = Counter(redemption.coupon_code for redemption in world.redemptions if redemption.status in HELD)
    reviewed = {order.id for order in world.orders if order.needs_review}
    flagged = Counter(
        redemption.coupon_code
        for redemption in world.redemptions
        if redemption.status == "consumed" and redemption.order_id in reviewed
    )
    return [
        Violation("coupons_within_limits", coupon.code, f"{held[coupon.code]} redeemed of {coupon.max_redemptions}")
        for coupon in world.coupons
        if coupon.max_redemptions is not None and held[coupon.code] - coupon.max_redemptions > flagged[coupon.code]
    ]


def coupons_spent_by_paid_orders(world: World) -> list[Violation]:
    """Once settled, a coupon's consumed redemptions are exactly those of the orders it discounted that were paid
    (an order refunded in full since still spent it); every other redemption is released or still reserved."""
    name = "coupons_spent_by_paid_orders"
    states = {order.id: order.state for order in world.orders}
    spent = {order_id: code for order_id, code in world.applied_coupons.items() if states.get(order_id) in MONEY_IN}
    redeemed = {redemption.order_id: redemption for redemption in world.redemptions}
    violations = [
        Violation(name, order_id, f"{states[order_id]} with coupon {code}, its redemption is {status}")
        for order_id, code in spent.items()
        if (status := _status(redeemed.get(order_id), code)) != "consumed"
    ]
    violations += [
        Violation(name, row.order_id, f"consumed coupon {row.coupon_code} while {states.get(row.order_id)}")
        for row in world.redemptions
        if row.status == "consumed" and spent.get(row.order_id) != row.coupon_code
    ]
    return violations


def _status(redemption: RedemptionRow | None, code: str) -> str:
    if redemption is None:
        return "missing"
    return redemption.status if redemption.coupon_code == code else f"for coupon {redemption.coupon_code}"
