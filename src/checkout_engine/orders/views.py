"""The customer's view of an order: what they bought (from the frozen snapshot), where it stands, and the payment."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from checkout_engine.fulfillment import service as fulfillment
from checkout_engine.orders import repository as repo
from checkout_engine.orders.model import KEEPS_MONEY, Order
from checkout_engine.payments import attempts
from checkout_engine.refunds import service as refunds

LINE_FIELDS = ("sku", "name", "quantity", "unit_price", "discount", "tax", "total")
TOTAL_FIELDS = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")


def customer_view(conn: sa.Connection, order: Order) -> dict[str, Any]:
    snapshot = repo.snapshot_for(conn, order.id)
    assert snapshot is not None
    payload = snapshot.payload
    latest = attempts.latest_for_order(conn, order.id)
    return {
        "id": order.id,
        "object": "order",
        "state": order.state.value,
        "currency": order.currency,
        "lines": [{name: line[name] for name in LINE_FIELDS} for line in payload["lines"]],
        **{name: payload[name] for name in TOTAL_FIELDS},
        "coupon": payload.get("coupon"),
        "shipping": payload.get("shipping"),
        "shipping_address": payload.get("shipping_address"),
        "payment": (
            {
                "id": latest.id,
                "provider": latest.provider,
                "provider_payment_id": latest.provider_payment_id,
                "client_secret": latest.client_secret,
                "status": latest.status,
            }
            if latest
            else None
        ),
        "fulfillment_status": fulfillment.status(conn, order),
        "refund": refunds.summary(conn, order.id),
        "downloads": fulfillment.grants_for(conn, order.id) if order.state in KEEPS_MONEY else [],
        "reservation_expires_at": order.expires_at.isoformat() if order.expires_at else None,
        "created_at": order.created_at.isoformat(),
    }
