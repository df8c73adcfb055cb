"""Incident 0008 — 2026-12-06, seen in a black-box run against the real processes.

Symptom: a coupon with ``max_redemptions=1`` paid two orders at 50% off.

Root cause: when a payment was declined the order's redemption was given back (``orders/effects.py``
``after_unpaid_end``) so another order took it; Stripe lets the customer confirm the same intent again after a
decline, and when that succeeded ``redemptions.consume`` moved only rows still ``reserved``: the coupon was never
counted as spent by the first order.

Fix: a declined order keeps its redemption (``orders.model.HOLDS_COUPON``) until it expires or is cancelled, when
its intent is cancelled first; a redemption given back and then paid after all is spent all the same and, if the
limit was reached meanwhile, the order is flagged for a person (``catalog.redemptions.consume``).

What must hold: coupon redemptions never exceed their limits and are spent exactly by the paid orders that used
them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import coupon_redemptions
from checkout_engine.payments.model import PaymentDeclined
from checkout_engine.payments.provider import PaymentProvider
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline


def _coupon_cart(shop: TestClient) -> str:
    cart_id = ready_cart(shop, {"SHIRT": 1})
    assert shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "HALFONCE"}).status_code == 200
    return cart_id


def test_a_declined_order_keeps_its_redemption_so_a_retried_payment_never_spends_the_coupon_twice(
    shop: TestClient,
    engine: Engine,
    provider: PaymentProvider,
    wired: Pipeline,
    admin_headers: dict[str, str],
    state_of: Callable[[str], str],
) -> None:
    coupon = {"percent_off": 50, "max_redemptions": 1}
    assert shop.put("/admin/v1/coupons/HALFONCE", json=coupon, headers=admin_headers).status_code == 200
    first = checkout(shop, _coupon_cart(shop), "first").json()
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(first["payment"]["provider_payment_id"], payment_method="pm_card_chargeDeclined")
    wired.until(lambda: state_of(first["order_id"]) == "payment_failed", what="the decline")

    second = checkout(shop, _coupon_cart(shop), "second")
    assert second.status_code == 409, second.text  # the redemption is still the declined order's
    assert second.json()["error"]["code"] == "coupon_unavailable"

    provider.confirm(first["payment"]["provider_payment_id"], payment_method="pm_card_visa")  # same intent again
    wired.until(lambda: state_of(first["order_id"]) == "fulfilled", what="the retried payment")
    with engine.connect() as conn:
        rows = conn.execute(sa.select(coupon_redemptions.c.order_id, coupon_redemptions.c.status)).all()
    assert [tuple(row) for row in rows] == [(first["order_id"], "consumed")]
