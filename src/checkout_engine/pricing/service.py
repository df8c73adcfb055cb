"""Loading a cart's pricing context from the database (the only I/O of pricing) and quoting it."""

from __future__ import annotations

import sqlalchemy as sa

from checkout_engine.cart.model import Cart
from checkout_engine.catalog import repository as catalog
from checkout_engine.clock import utcnow
from checkout_engine.pricing.calculator import price
from checkout_engine.pricing.model import LineInput, PricingContext, Quote, ShippingChoice


def load_context(conn: sa.Connection, cart: Cart) -> PricingContext:
    products = catalog.get_products(conn, [line.sku for line in cart.lines])
    lines: list[LineInput] = []
    unavailable: list[str] = []
    short: list[str] = []
    for line in cart.lines:
        product = products.get(line.sku)
        unit_price = product.price_in(cart.currency) if product else None
        if product is None or not product.active or unit_price is None:
            unavailable.append(line.sku)
            continue
        if product.available is not None and product.available < line.quantity:
            short.append(line.sku)
        lines.append(LineInput(line.sku, product.name, product.kind, product.tax_class, unit_price, line.quantity))
    country = cart.tax_country
    return PricingContext(
        currency=cart.currency,
        lines=tuple(lines),
        coupon=catalog.get_coupon(conn, cart.coupon_code) if cart.coupon_code else None,
        shipping=_shipping_choice(conn, cart),
        tax_country=country,
        tax_rate=catalog.get_tax_rate(conn, country) if country else None,
        now=utcnow(),
        unavailable=tuple(unavailable),
        short_of_stock=tuple(short),
    )


def _shipping_choice(conn: sa.Connection, cart: Cart) -> ShippingChoice | None:
    if cart.shipping_method is None or cart.shipping_address is None:
        return None
    method = catalog.get_shipping_method(conn, cart.shipping_method)
    if method is None or not method.active or not method.ships_to(cart.shipping_address.country):
        return None
    amount = method.prices.get(cart.currency)
    return None if amount is None else ShippingChoice(method.code, method.name, amount)


def quote_cart(conn: sa.Connection, cart: Cart) -> Quote:
    return price(load_context(conn, cart))
