"""Incident 0014 — 2026-12-07, found by paying with Stripe's refund-failure test card.

Symptom: a refund the provider accepted (``pending``) and then failed (``refund.failed``: the customer's card was
closed, say) was recorded as failed and nothing else happened: the customer was promised money that never
arrived, and no one was told.

Root cause: following the provider's refund status wrote the status and stopped there; only a refund refused at
once, when it was requested, flagged its order.

Fix: a refund record that becomes ``failed`` from the provider's word flags its order for review, with the refund
named; its amount is not counted as returned, so the order's state does not move.

What must hold: every failed refund of ours is in front of a person; money is counted as returned only when the
provider returned it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.db.tables import orders, refunds
from support.pipeline import Pipeline

PART = 500


def test_a_refund_that_fails_after_it_was_pending_flags_the_order_and_returns_nothing(
    engine: Engine,
    fulfilled: Callable[..., dict[str, Any]],
    wired: Pipeline,
    state_of: Callable[[str], str],
    refund: Callable[..., dict[str, Any]],
) -> None:
    order = fulfilled(payment_method="pm_card_refundFail")
    wired.sim.configure_settlement(refund_delay_ms=None)  # pending until settled by hand
    refund(order["order_id"], PART, key="goodwill-1")

    def refund() -> sa.Row[Any]:
        with engine.connect() as conn:
            return conn.execute(
                sa.select(refunds.c.status, refunds.c.provider_refund_id).where(refunds.c.order_id == order["order_id"])
            ).one()

    wired.until(lambda: refund().status == "pending" and refund().provider_refund_id, what="the pending refund")
    wired.sim.settle_refund(refund().provider_refund_id, "fail")  # as the card's refunds do
    wired.until(lambda: refund().status == "failed", what="the failed refund")

    with engine.connect() as conn:
        row = conn.execute(
            sa.select(orders.c.needs_review, orders.c.review_reason).where(orders.c.id == order["order_id"])
        ).one()
    assert row.needs_review and "failed at the provider" in (row.review_reason or "")
    assert state_of(order["order_id"]) == "fulfilled"  # nothing was returned
