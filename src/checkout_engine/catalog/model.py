"""Catalog records as plain immutable values, and the rules they must obey."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache

from babel import Locale

from checkout_engine.errors import Invalid
from checkout_engine.money import BASIS_POINTS, is_currency

SKU_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
CODE_PATTERN = SKU_PATTERN  # coupon and shipping-method codes follow the same rule


class ProductKind(StrEnum):
    PHYSICAL = "physical"
    DIGITAL = "digital"


class TaxClass(StrEnum):
    STANDARD = "standard"
    REDUCED = "reduced"
    ZERO = "zero"


# CLDR region codes that are not countries a parcel or a tax rate can belong to.
NOT_COUNTRIES = frozenset({"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"})


@cache
def _countries() -> frozenset[str]:
    codes = (code for code in Locale("en").territories if isinstance(code, str))
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha()) - NOT_COUNTRIES


def countries() -> tuple[str, ...]:
    """Every code ``is_country`` accepts, sorted (the OpenAPI description lists them)."""
    return tuple(sorted(_countries()))


def is_country(code: str) -> bool:
    return code in _countries()


def check_sku(sku: str) -> str:
    if not SKU_PATTERN.fullmatch(sku):
        raise Invalid(
            "A SKU is 1-64 letters, digits, dots, underscores or dashes.",
            code="invalid_sku",
            details={"sku": sku[:80]},
        )
    return sku


def check_code(code: str, *, what: str) -> str:
    if not CODE_PATTERN.fullmatch(code):
        raise Invalid(
            f"A {what} code is 1-64 letters, digits, dots, underscores or dashes.",
            code="invalid_code",
            details={"code": code[:80]},
        )
    return code


def check_prices(prices: dict[str, int]) -> dict[str, int]:
    for currency, amount in prices.items():
        if not is_currency(currency):
            raise Invalid(
                f"{currency!r} is not an ISO 4217 currency code.",
                code="invalid_currency",
                details={"currency": currency[:8]},
            )
        if amount < 0:
            raise Invalid("Prices cannot be negative.", code="invalid_price", details={"currency": currency})
    return prices


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    kind: ProductKind
    tax_class: TaxClass
    active: bool
    prices: dict[str, int]
    available: int | None = None  # units free to hold when read; None when its stock is not tracked (digital)

    def price_in(self, currency: str) -> int | None:
        return self.prices.get(currency)


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class Coupon:
    code: str
    percent_off: int | None
    amount_off: int | None
    currency: str | None
    max_redemptions: int | None
    max_per_customer: int | None
    expires_at: datetime | None
    min_subtotal: int | None
    skus: tuple[str, ...] | None
    active: bool

    def __post_init__(self) -> None:
        if (self.percent_off is None) == (self.amount_off is None):
            raise Invalid(
                "A coupon has either percent_off or amount_off, not both or neither.",
                code="invalid_coupon_terms",
            )
        if self.percent_off is not None and not 1 <= self.percent_off <= 100:
            raise Invalid("percent_off is a whole percentage from 1 to 100.", code="invalid_coupon_terms")
        if self.amount_off is not None and (self.amount_off <= 0 or self.currency is None):
            raise Invalid("amount_off is a positive amount and needs a currency.", code="invalid_coupon_terms")
        if self.currency is not None and not is_currency(self.currency):
            raise Invalid(f"{self.currency!r} is not an ISO 4217 currency code.", code="invalid_currency")
        for limit in (self.max_redemptions, self.max_per_customer, self.min_subtotal):
            if limit is not None and limit < 0:
                raise Invalid("Coupon limits cannot be negative.", code="invalid_coupon_terms")
        for sku in self.skus or ():
            check_sku(sku)

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class ShippingMethod:
    code: str
    name: str
    prices: dict[str, int]
    countries: tuple[str, ...]
    active: bool

    def __post_init__(self) -> None:
        check_prices(self.prices)
        for country in self.countries:
            if not is_country(country):
                raise Invalid(f"{country!r} is not an ISO 3166 alpha-2 country code.", code="invalid_country")

    def ships_to(self, country: str) -> bool:
        return country in self.countries


@dataclass(frozen=True, slots=True)
class TaxRate:
    country: str
    standard_bp: int
    reduced_bp: int

    def __post_init__(self) -> None:
        if not is_country(self.country):
            raise Invalid(f"{self.country!r} is not an ISO 3166 alpha-2 country code.", code="invalid_country")
        if not (0 <= self.standard_bp <= BASIS_POINTS and 0 <= self.reduced_bp <= BASIS_POINTS):
            raise Invalid("Tax rates are basis points from 0 to 10000.", code="invalid_tax_rate")

    def basis_points(self, tax_class: TaxClass) -> int:
        if tax_class is TaxClass.ZERO:
            return 0
        return self.reduced_bp if tax_class is TaxClass.REDUCED else self.standard_bp
