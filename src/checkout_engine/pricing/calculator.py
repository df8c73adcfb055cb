"""The price of a cart: a pure, deterministic function of its pricing context.

Order of operations: line subtotals -> one discount for the coupon, allocated across eligible lines in proportion
to their subtotals (largest remainder, ties to the earlier line, so the parts sum exactly to the discount) -> tax
per line on the discounted amount at the tax country's rate for the line's tax class -> shipping (not taxed, not
discounted). Every rounding uses :func:`checkout_engine.money.round_half_away_from_zero`.
"""

from __future__ import annotations

from fractions import Fraction

from checkout_engine.catalog.model import Coupon
from checkout_engine.money import allocate, apply_basis_points, round_half_away_from_zero
from checkout_engine.pricing.model import CouponRejection, LineInput, PricingContext, Quote, QuoteLine

PERCENT = 100


def coupon_rejection(context: PricingContext, coupon: Coupon) -> CouponRejection | None:
    """Why ``coupon`` cannot discount this cart now, or None when it can."""
    if not coupon.active:
        return CouponRejection.INACTIVE
    if coupon.is_expired(context.now):
        return CouponRejection.EXPIRED
    if coupon.currency is not None and coupon.currency != context.currency:
        return CouponRejection.CURRENCY_MISMATCH
    eligible = _eligible(context.lines, coupon)
    if not any(eligible):
        return CouponRejection.NO_ELIGIBLE_ITEMS
    subtotal = sum(line.unit_price * line.quantity for line in context.lines)
    if coupon.min_subtotal is not None and subtotal < coupon.min_subtotal:
        return CouponRejection.BELOW_MIN_SUBTOTAL
    return None


def _eligible(lines: tuple[LineInput, ...], coupon: Coupon) -> list[bool]:
    allowed = None if coupon.skus is None else set(coupon.skus)
    return [allowed is None or line.sku in allowed for line in lines]


def _discount_amount(coupon: Coupon, eligible_subtotal: int) -> int:
    if coupon.percent_off is not None:
        amount = round_half_away_from_zero(Fraction(eligible_subtotal * coupon.percent_off, PERCENT))
    else:
        amount = coupon.amount_off or 0
    return min(amount, eligible_subtotal)


def _line_discounts(context: PricingContext, rejection: CouponRejection | None) -> list[int]:
    coupon = context.coupon
    if coupon is None or rejection is not None:
        return [0] * len(context.lines)
    eligible = _eligible(context.lines, coupon)
    weights = [line.unit_price * line.quantity if ok else 0 for line, ok in zip(context.lines, eligible, strict=True)]
    return allocate(_discount_amount(coupon, sum(weights)), weights)


def price(context: PricingContext) -> Quote:
    rejection = coupon_rejection(context, context.coupon) if context.coupon else None
    discounts = _line_discounts(context, rejection)
    lines = []
    for line, discount in zip(context.lines, discounts, strict=True):
        subtotal = line.unit_price * line.quantity
        rate_bp = context.tax_rate.basis_points(line.tax_class) if context.tax_rate else 0
        taxable = subtotal - discount
        lines.append(
            QuoteLine(
                sku=line.sku,
                name=line.name,
                kind=line.kind,
                quantity=line.quantity,
                unit_price=line.unit_price,
                subtotal=subtotal,
                discount=discount,
                tax_rate_bp=rate_bp,
                tax=apply_basis_points(taxable, rate_bp),
            )
        )
    return Quote(
        currency=context.currency,
        lines=tuple(lines),
        shipping=context.shipping,
        coupon_code=context.coupon.code if context.coupon else None,
        coupon_rejection=rejection,
        tax_country=context.tax_country,
        unavailable=context.unavailable,
        short_of_stock=context.short_of_stock,
    )
