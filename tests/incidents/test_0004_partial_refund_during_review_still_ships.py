"""Incident 0004 — 2026-12-06, seen against the real processes: a paid order never shipped.

Symptom: support held a paid order for review, gave the customer a goodwill partial refund while it was held, and
cleared the review. The order stayed ``partially_refunded`` with no shipment request: paid goods never delivered.

Root cause: fulfilment ran only from ``paid`` or ``fulfillment_pending``, ``partially_refunded`` led only to
``refunded``/``closed``, and clearing a review queued nothing: a refund, which speaks of money, ended the delivery.

Fix: refunding and fulfilling are independent. ``partially_refunded -> fulfillment_pending`` is a transition for an
order never delivered (``fulfillment.service.may_fulfill``); clearing a review queues the fulfilment the review held
back; once delivered, the refund is said again by the state (``fulfilled -> partially_refunded``). Every view shows
the fulfilment status and the refund status side by side.

What must hold: every paid order not refunded in full is fulfilled once no review holds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import shipment_requests
from checkout_engine.payments.provider import PaymentProvider
from support.pipeline import Pipeline

GOODWILL = 300


def _shipments(engine: Engine, order_id: str) -> int:
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(shipment_requests.c.order_id == order_id)
        return int(conn.execute(query).scalar_one())


def test_a_paid_order_partly_refunded_while_held_for_review_is_fulfilled_once_cleared(
    shop: TestClient,
    engine: Engine,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    admin_headers: dict[str, str],
    state_of: Callable[[str], str],
    refund: Callable[..., dict[str, Any]],
) -> None:
    order = place()
    order_id = order["order_id"]

    def act(action: str) -> None:
        answer = shop.post(
            f"/admin/v1/orders/{order_id}/actions/{action}", json={"reason": "fraud check"}, headers=admin_headers
        )
        assert answer.status_code == 200, answer.text

    act("mark_for_review")
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: state_of(order_id) == "paid", what="the payment")
    refund(order_id, GOODWILL, key="goodwill", reason="goodwill while held")
    wired.until(lambda: state_of(order_id) == "partially_refunded", what="the partial refund")
    assert _shipments(engine, order_id) == 0  # held: nothing ships during the review

    act("clear_review")
    wired.until(lambda: _shipments(engine, order_id) == 1, what="the shipment request")

    view = shop.get(f"/v1/orders/{order_id}", headers={"X-Order-Token": order["order_token"]}).json()
    assert view["state"] == "partially_refunded"
    assert view["fulfillment_status"] == "fulfilled"
    assert view["refund"]["status"] == "partial" and view["refund"]["refunded_amount"] == GOODWILL
    wired.pump()
    assert _shipments(engine, order_id) == 1  # delivered once, however often the job runs
