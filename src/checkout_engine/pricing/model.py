"""The pricing context (everything a price depends on, loaded once) and the quote it produces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from checkout_engine.catalog.model import Coupon, ProductKind, TaxClass, TaxRate


class CouponRejection(StrEnum):
    """Why a coupon on the cart gives no discount right now (the cart keeps it; the quote says why)."""

    INACTIVE = "inactive"
    EXPIRED = "expired"
    CURRENCY_MISMATCH = "currency_mismatch"
    BELOW_MIN_SUBTOTAL = "below_min_subtotal"
    NO_ELIGIBLE_ITEMS = "no_eligible_items"


@dataclass(frozen=True, slots=True)
class LineInput:
    sku: str
    name: str
    kind: ProductKind
    tax_class: TaxClass
    unit_price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ShippingChoice:
    method: str
    name: str
    price: int


@dataclass(frozen=True, slots=True)
class PricingContext:
    currency: str
    lines: tuple[LineInput, ...]
    coupon: Coupon | None
    shipping: ShippingChoice | None
    tax_country: str | None
    tax_rate: TaxRate | None
    now: datetime
    # SKUs on the cart that can no longer be sold (inactive, deleted, not priced in the cart's currency).
    unavailable: tuple[str, ...] = ()
    # SKUs whose free stock, when the context was read, is below the cart's quantity: a checkout is refused before
    # any work (holding the stock, a guarded statement, stays the judge of what is sold).
    short_of_stock: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuoteLine:
    sku: str
    name: str
    kind: ProductKind
    quantity: int
    unit_price: int
    subtotal: int
    discount: int
    tax_rate_bp: int
    tax: int

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.tax


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    lines: tuple[QuoteLine, ...]
    shipping: ShippingChoice | None
    coupon_code: str | None
    coupon_rejection: CouponRejection | None
    tax_country: str | None
    unavailable: tuple[str, ...] = ()
    short_of_stock: tuple[str, ...] = ()

    @property
    def subtotal(self) -> int:
        return sum(line.subtotal for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def shipping_total(self) -> int:
        return self.shipping.price if self.shipping else 0

    @property
    def tax_total(self) -> int:
        return sum(line.tax for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total + self.shipping_total + self.tax_total

    @property
    def needs_shipping(self) -> bool:
        return any(line.kind is ProductKind.PHYSICAL for line in self.lines)
