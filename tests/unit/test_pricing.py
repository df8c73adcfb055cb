"""Pricing examples: each pins one rule of the calculator with numbers a person can check by hand."""

from datetime import UTC, datetime, timedelta

from checkout_engine.catalog.model import Coupon, ProductKind, TaxClass, TaxRate
from checkout_engine.pricing.calculator import price
from checkout_engine.pricing.model import CouponRejection, LineInput, PricingContext, ShippingChoice
from checkout_engine.pricing.snapshot import freeze

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DE = TaxRate("DE", 1900, 700)


def line(sku: str, unit_price: int, quantity: int = 1, tax_class: TaxClass = TaxClass.STANDARD) -> LineInput:
    return LineInput(sku, sku.title(), ProductKind.PHYSICAL, tax_class, unit_price, quantity)


def coupon(**terms: object) -> Coupon:
    values: dict[str, object] = {
        "code": "SAVE",
        "percent_off": None,
        "amount_off": None,
        "currency": None,
        "max_redemptions": None,
        "max_per_customer": None,
        "expires_at": None,
        "min_subtotal": None,
        "skus": None,
        "active": True,
    }
    values.update(terms)
    return Coupon(**values)  # type: ignore[arg-type]


def context(*lines: LineInput, currency: str = "EUR", **extra: object) -> PricingContext:
    values: dict[str, object] = {
        "currency": currency,
        "lines": lines,
        "coupon": None,
        "shipping": None,
        "tax_country": "DE",
        "tax_rate": DE,
        "now": NOW,
    }
    values.update(extra)
    return PricingContext(**values)  # type: ignore[arg-type]


def test_a_percentage_discount_is_rounded_once_and_spread_so_lines_add_up_exactly() -> None:
    quote = price(context(line("A", 1000), line("B", 1000), line("C", 1000), coupon=coupon(percent_off=10)))
    assert quote.discount_total == 300
    assert [q.discount for q in quote.lines] == [100, 100, 100]
    odd = price(context(line("A", 333), line("B", 333), line("C", 334), coupon=coupon(amount_off=100, currency="EUR")))
    assert [q.discount for q in odd.lines] == [33, 33, 34]
    assert odd.discount_total == 100


def test_tax_is_charged_per_line_on_the_discounted_amount_at_the_line_tax_class() -> None:
    quote = price(
        context(
            line("SHIRT", 5997),
            line("BOOK", 3490, tax_class=TaxClass.REDUCED),
            line("GIFT", 1000, tax_class=TaxClass.ZERO),
            coupon=coupon(percent_off=10),
        )
    )
    shirt, book, gift = quote.lines
    # 10 % of 10487 = 1048.7 -> 1049, shared 599.86 / 349.09 / 100.03: floors 1048, the spare unit to the shirt.
    assert (shirt.discount, shirt.tax_rate_bp, shirt.tax) == (600, 1900, 1025)  # 5397 x 19 % = 1025.43
    assert (book.discount, book.tax_rate_bp, book.tax) == (349, 700, 220)  # 3141 x 7 % = 219.87
    assert (gift.discount, gift.tax) == (100, 0)
    assert quote.total == quote.subtotal - quote.discount_total + quote.tax_total


def test_an_amount_off_coupon_never_discounts_more_than_the_eligible_items_cost() -> None:
    quote = price(context(line("A", 500), line("B", 900), coupon=coupon(amount_off=5000, currency="EUR", skus=("A",))))
    assert [q.discount for q in quote.lines] == [500, 0]
    assert quote.total >= 0


def test_shipping_is_added_untaxed_and_undiscounted() -> None:
    quote = price(
        context(line("A", 1000), shipping=ShippingChoice("std", "Standard", 495), coupon=coupon(percent_off=50))
    )
    assert quote.shipping_total == 495
    assert quote.total == 1000 - 500 + 95 + 495


def test_a_coupon_that_does_not_apply_stays_visible_with_its_reason_and_discounts_nothing() -> None:
    cases = {
        CouponRejection.EXPIRED: coupon(percent_off=10, expires_at=NOW - timedelta(seconds=1)),
        CouponRejection.CURRENCY_MISMATCH: coupon(amount_off=100, currency="USD"),
        CouponRejection.BELOW_MIN_SUBTOTAL: coupon(percent_off=10, min_subtotal=5000),
        CouponRejection.NO_ELIGIBLE_ITEMS: coupon(percent_off=10, skus=("OTHER",)),
        CouponRejection.INACTIVE: coupon(percent_off=10, active=False),
    }
    for reason, terms in cases.items():
        quote = price(context(line("A", 1000), coupon=terms))
        assert quote.coupon_rejection is reason
        assert quote.coupon_code == "SAVE"
        assert quote.discount_total == 0


def test_zero_decimal_and_three_decimal_currencies_are_priced_in_their_own_minor_units() -> None:
    yen = price(context(line("A", 2900, 3), currency="JPY", coupon=coupon(percent_off=15)))
    assert yen.subtotal == 8700 and yen.discount_total == 1305
    assert yen.tax_total == 1405  # (8700 - 1305) * 0.19 = 1405.05
    dinar = price(context(line("A", 6500), currency="KWD", tax_rate=TaxRate("KW", 0, 0), tax_country="KW"))
    assert dinar.total == 6500


def test_the_snapshot_freezes_every_figure_and_its_hash_changes_with_any_of_them() -> None:
    quote = price(context(line("A", 1000, 2), shipping=ShippingChoice("std", "Standard", 495)))
    address = {"name": "Ada", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    snapshot = freeze(quote, shipping_address=address)
    assert snapshot.total == quote.total == snapshot.payload["total"]
    line_payload = snapshot.payload["lines"][0]
    assert line_payload == {
        "sku": "A",
        "name": "A",
        "kind": "physical",
        "quantity": 2,
        "unit_price": 1000,
        "subtotal": 2000,
        "discount": 0,
        "tax_rate_bp": 1900,
        "tax": 380,
        "total": 2380,
    }
    assert snapshot.payload["shipping"] == {"method": "std", "name": "Standard", "price": 495}
    assert snapshot.payload["shipping_address"] == address
    assert freeze(quote, shipping_address=address).hash == snapshot.hash
    other = price(context(line("A", 1001, 2), shipping=ShippingChoice("std", "Standard", 495)))
    assert freeze(other, shipping_address=address).hash != snapshot.hash
