"""Every table of the product, defined once on one MetaData."""

from checkout_engine.db.tables.admin import api_keys, reconciliation_findings, reconciliation_runs, staff_users
from checkout_engine.db.tables.after_payment import (
    entitlements,
    receipts,
    refunds,
    shipment_requests,
    webhook_events,
)
from checkout_engine.db.tables.approvals import approval_requests
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
from checkout_engine.db.tables.checkout import (
    coupon_redemptions,
    idempotency_keys,
    inventory_reservations,
    payment_attempts,
    provider_keys,
)
from checkout_engine.db.tables.jobs import jobs, sweeps
from checkout_engine.db.tables.metadata import metadata
from checkout_engine.db.tables.orders import order_events, orders, pricing_snapshots
from checkout_engine.db.tables.outgoing import (
    outgoing_events,
    webhook_deliveries,
    webhook_delivery_attempts,
    webhook_endpoints,
)

__all__ = [
    "api_keys",
    "approval_requests",
    "audit_log",
    "cart_lines",
    "carts",
    "coupon_failures",
    "coupon_redemptions",
    "coupons",
    "entitlements",
    "idempotency_keys",
    "inventory",
    "inventory_reservations",
    "jobs",
    "metadata",
    "order_events",
    "orders",
    "outgoing_events",
    "payment_attempts",
    "pricing_snapshots",
    "product_prices",
    "products",
    "provider_keys",
    "receipts",
    "reconciliation_findings",
    "reconciliation_runs",
    "refunds",
    "shipment_requests",
    "shipping_methods",
    "staff_users",
    "sweeps",
    "tax_rates",
    "webhook_deliveries",
    "webhook_delivery_attempts",
    "webhook_endpoints",
    "webhook_events",
]
