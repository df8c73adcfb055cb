"""The immutable pricing snapshot an order is created with: the deal the customer accepted, hashed.

Nothing recomputes an order's amounts from live catalog data; every later step (the provider amount, receipts,
refund limits, reconciliation) reads this record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from checkout_engine.pricing.model import Quote

SNAPSHOT_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class PricingSnapshot:
    currency: str
    total: int
    payload: dict[str, Any]
    hash: str


def quote_payload(quote: Quote) -> dict[str, Any]:
    """The quote as plain JSON data, in the shape the API shows and the snapshot stores."""
    return {
        "currency": quote.currency,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "kind": line.kind.value,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "subtotal": line.subtotal,
                "discount": line.discount,
                "tax_rate_bp": line.tax_rate_bp,
                "tax": line.tax,
                "total": line.total,
            }
            for line in quote.lines
        ],
        "subtotal": quote.subtotal,
        "discount_total": quote.discount_total,
        "shipping_total": quote.shipping_total,
        "tax_total": quote.tax_total,
        "total": quote.total,
        "coupon": (
            {
                "code": quote.coupon_code,
                "applied": quote.coupon_rejection is None,
                "rejection": quote.coupon_rejection.value if quote.coupon_rejection else None,
            }
            if quote.coupon_code
            else None
        ),
        "shipping": (
            {"method": quote.shipping.method, "name": quote.shipping.name, "price": quote.shipping.price}
            if quote.shipping
            else None
        ),
        "tax_country": quote.tax_country,
        "unavailable_skus": list(quote.unavailable),
    }


def canonical_hash(payload: dict[str, Any]) -> str:
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return hashlib.sha256(encoded).hexdigest()


def freeze(quote: Quote, *, shipping_address: dict[str, str] | None) -> PricingSnapshot:
    payload = {
        "schema_version": SNAPSHOT_SCHEMA_VERSION,
        **quote_payload(quote),
        "shipping_address": shipping_address,
    }
    return PricingSnapshot(currency=quote.currency, total=quote.total, payload=payload, hash=canonical_hash(payload))
