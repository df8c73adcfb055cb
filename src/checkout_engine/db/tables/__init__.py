"""Every table of the product, defined once on one MetaData."""

from checkout_engine.db.tables.audit import audit_log
from checkout_engine.db.tables.carts import cart_lines, carts, coupon_failures
from checkout_engine.db.tables.catalog import (
    coupons,
    inventory,
    product_prices,
    products,
    shipping_methods,
    tax_rates,
)
from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.tables.orders import order_events, orders, pricing_snapshots

__all__ = [
    "audit_log",
    "cart_lines",
    "carts",
    "coupon_failures",
    "coupons",
    "inventory",
    "metadata",
    "order_events",
    "orders",
    "pricing_snapshots",
    "product_prices",
    "products",
    "shipping_methods",
    "tax_rates",
]
