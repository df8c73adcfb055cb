"""Carts as immutable values and the limits a client cannot talk its way past."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from checkout_engine.errors import Conflict, Invalid

MAX_LINES = 100  # distinct SKUs per cart; a bigger order is a B2B quote, not a cart
MAX_QUANTITY = 1000  # per line; stops a typo or a script from reserving a warehouse


class CartStatus(StrEnum):
    OPEN = "open"
    FROZEN = "frozen"  # checkout has started: the quote the customer accepted must not move under them


@dataclass(frozen=True, slots=True)
class CartLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "line1": self.line1,
            "city": self.city,
            "postal_code": self.postal_code,
            "country": self.country,
        }


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    currency: str
    customer_id: str | None
    email: str | None
    country: str | None
    status: CartStatus
    lines: tuple[CartLine, ...]
    coupon_code: str | None
    shipping_address: ShippingAddress | None
    shipping_method: str | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def tax_country(self) -> str | None:
        return self.shipping_address.country if self.shipping_address else self.country

    def quantity_of(self, sku: str) -> int:
        return next((line.quantity for line in self.lines if line.sku == sku), 0)

    def ensure_open(self) -> None:
        if self.status is not CartStatus.OPEN:
            raise Conflict(
                "This cart has been checked out and can no longer change.",
                code="cart_frozen",
                details={"cart_id": self.id},
            )

    def with_quantity(self, sku: str, quantity: int) -> Cart:
        """The cart with ``sku`` set to ``quantity`` (0 removes it); new SKUs go last."""
        check_quantity(quantity)
        kept = tuple(line for line in self.lines if line.sku != sku)
        if quantity == 0:
            return replace(self, lines=kept)
        if self.quantity_of(sku) == 0 and len(kept) >= MAX_LINES:
            raise Invalid(
                f"A cart holds at most {MAX_LINES} different items.",
                code="too_many_lines",
                details={"max_lines": MAX_LINES},
            )
        lines = tuple(CartLine(line.sku, quantity if line.sku == sku else line.quantity) for line in self.lines)
        if self.quantity_of(sku) == 0:
            lines = (*lines, CartLine(sku, quantity))
        return replace(self, lines=lines)


def check_quantity(quantity: int) -> int:
    if not 0 <= quantity <= MAX_QUANTITY:
        raise Invalid(
            f"Quantity must be a whole number from 0 to {MAX_QUANTITY}.",
            code="invalid_quantity",
            details={"quantity": quantity, "max": MAX_QUANTITY},
        )
    return quantity
