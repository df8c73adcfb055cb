"""Properties of pricing that must hold for every cart, coupon, tax rate and currency."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from checkout_engine.catalog.model import Coupon, ProductKind, TaxClass, TaxRate
from checkout_engine.pricing.calculator import price
from checkout_engine.pricing.model import LineInput, PricingContext, ShippingChoice

NOW = datetime(2026, 11, 25, tzinfo=UTC)
CURRENCIES = st.sampled_from(["EUR", "JPY", "KWD", "USD"])
SKUS = st.sampled_from([f"SKU-{i}" for i in range(12)])


@st.composite
def lines(draw: st.DrawFn) -> tuple[LineInput, ...]:
    skus = draw(st.lists(SKUS, min_size=0, max_size=8, unique=True))
    return tuple(
        LineInput(
            sku,
            sku,
            draw(st.sampled_from(ProductKind)),
            draw(st.sampled_from(TaxClass)),
            draw(st.integers(min_value=0, max_value=10**7)),
            draw(st.integers(min_value=1, max_value=1000)),
        )
        for sku in skus
    )


@st.composite
def coupons(draw: st.DrawFn, currency: str) -> Coupon | None:
    if draw(st.booleans()):
        return None
    percent = draw(st.booleans())
    return Coupon(
        code="C",
        percent_off=draw(st.integers(min_value=1, max_value=100)) if percent else None,
        amount_off=None if percent else draw(st.integers(min_value=1, max_value=10**9)),
        currency=None if percent else draw(st.sampled_from([currency, "EUR"])),
        max_redemptions=None,
        max_per_customer=None,
        expires_at=None,
        min_subtotal=draw(st.none() | st.integers(min_value=0, max_value=10**8)),
        skus=draw(st.none() | st.lists(SKUS, max_size=4, unique=True).map(tuple)),
        active=True,
    )


@st.composite
def contexts(draw: st.DrawFn) -> PricingContext:
    currency = draw(CURRENCIES)
    rate = TaxRate("DE", draw(st.integers(0, 10_000)), draw(st.integers(0, 10_000)))
    shipping = draw(st.none() | st.integers(0, 10**5).map(lambda p: ShippingChoice("std", "Standard", p)))
    return PricingContext(
        currency=currency,
        lines=draw(lines()),
        coupon=draw(coupons(currency)),
        shipping=shipping,
        tax_country="DE",
        tax_rate=draw(st.none() | st.just(rate)),
        now=NOW,
    )


@given(contexts())
def test_line_subtotals_sum_to_the_subtotal_and_lines_to_the_totals(context: PricingContext) -> None:
    quote = price(context)
    assert quote.subtotal == sum(line.unit_price * line.quantity for line in context.lines)
    assert sum(line.total for line in quote.lines) == quote.subtotal - quote.discount_total + quote.tax_total


@given(contexts())
def test_the_discount_never_exceeds_what_it_applies_to(context: PricingContext) -> None:
    quote = price(context)
    for line in quote.lines:
        assert 0 <= line.discount <= line.subtotal
    coupon = context.coupon
    if coupon is not None and coupon.skus is not None:
        for line in quote.lines:
            if line.sku not in coupon.skus:
                assert line.discount == 0
    if coupon is not None and coupon.amount_off is not None:
        assert quote.discount_total <= coupon.amount_off


@given(contexts())
def test_total_is_subtotal_minus_discount_plus_shipping_plus_tax_and_never_negative(context: PricingContext) -> None:
    quote = price(context)
    assert quote.total == quote.subtotal - quote.discount_total + quote.shipping_total + quote.tax_total
    assert quote.total >= 0
    assert all(line.tax >= 0 and line.total >= 0 for line in quote.lines)


@given(contexts())
def test_the_same_input_always_gives_the_same_quote(context: PricingContext) -> None:
    assert price(context) == price(context)


@given(contexts())
def test_every_amount_is_an_integer_count_of_the_currency_minor_unit(context: PricingContext) -> None:
    quote = price(context)
    amounts = [quote.subtotal, quote.discount_total, quote.tax_total, quote.total, quote.shipping_total]
    amounts += [value for line in quote.lines for value in (line.subtotal, line.discount, line.tax, line.total)]
    assert all(type(amount) is int for amount in amounts)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=1000))
def test_the_same_percentage_means_the_same_minor_units_whatever_the_exponent(unit: int, quantity: int) -> None:
    # Prices are minor units: 10 % of 2900 JPY (exponent 0) and of 29.00 EUR (2900 cents) are both 290 units.
    coupon = Coupon("C", 10, None, None, None, None, None, None, None, True)
    results = set()
    for currency in ("JPY", "EUR", "KWD"):
        line = LineInput("A", "A", ProductKind.DIGITAL, TaxClass.ZERO, unit, quantity)
        context = PricingContext(currency, (line,), coupon, None, None, None, NOW)
        results.add(price(context).discount_total)
    assert len(results) == 1
