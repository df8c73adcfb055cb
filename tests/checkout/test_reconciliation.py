"""Reconciliation's checks one by one: a planted amount mismatch is flagged and never fulfilled, a refund made at
the provider is found, two runs at once repair once, and a stale pending order is swept. (A dropped success
repaired by the workers' scheduled reconciliation is a scenario: tests/scenarios/test_dropped_webhook_reconciled.py.)"""

import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place, transitions

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import (
    orders,
    payment_attempts,
    reconciliation_findings,
    shipment_requests,
)
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation.service import Summary, reconcile
from checkout_engine.settings import Settings
from support.pipeline import Pipeline
from support.provider_sim_process import wait_for

SINCE = timedelta(hours=1)


def run(engine: Engine, provider: PaymentProvider, settings: Settings) -> Summary:
    return reconcile(engine, provider, settings, trigger="test", since=utcnow() - SINCE)


def findings(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                reconciliation_findings.c.kind, reconciliation_findings.c.action, reconciliation_findings.c.status
            ).order_by(reconciliation_findings.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def dropped_paid_order(shop: TestClient, provider: PaymentProvider, wired: Pipeline) -> dict[str, Any]:
    wired.sim.configure_webhooks(drop_rate=1.0)  # the provider's news never arrives
    order = place(shop, {"SHIRT": 1, "EBOOK": 1})
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    return order


def test_a_planted_amount_mismatch_is_flagged_and_never_fulfilled(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    order = place(shop)
    intent = order["payment"]["provider_payment_id"]
    wired.sim.alter_payment_intent(intent, amount=order["total"] - 500)  # changed behind our back
    provider.confirm(intent, payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "paid", what="the payment")
    wired.pump()
    assert order_state(engine, order["order_id"]) == "paid"  # held back from fulfilment
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.needs_review)).scalar_one() is True
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar() == 0
    run(engine, provider, settings)
    assert ("amount_mismatch", "flagged_for_review", "open") in findings(engine)


def test_a_refund_made_at_the_provider_is_found_and_the_order_follows_it(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    wired.sim.configure_webhooks(drop_rate=1.0)
    client = wired.sim.stripe_client()
    refund = client.v1.refunds.create(
        params={"payment_intent": order["payment"]["provider_payment_id"], "amount": 1000}
    )
    wait_for(lambda: client.v1.refunds.retrieve(refund.id).status == "succeeded", what="the refund to settle")
    run(engine, provider, settings)
    assert order_state(engine, order["order_id"]) == "partially_refunded"
    assert ("refund_mismatch", "auto_repaired", "resolved") in findings(engine)


def test_two_runs_at_once_repair_once(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    order = dropped_paid_order(shop, provider, wired)
    barrier = threading.Barrier(2)
    summaries: list[Summary] = []

    def one_run() -> None:
        barrier.wait(timeout=10)
        summaries.append(run(engine, provider, settings))

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(summaries) == 2 and all(s.error is None for s in summaries)
    paid_moves = [t for t in transitions(engine, order["order_id"]) if t[1] == "paid"]
    assert len(paid_moves) == 1
    kinds = [kind for kind, _, _ in findings(engine)]
    assert kinds.count("paid_mismatch") == 1
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")


def test_a_pending_order_the_provider_settled_long_ago_is_swept(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    order = dropped_paid_order(shop, provider, wired)
    with engine.begin() as conn:  # its payment has waited longer than CHECKOUT_RECONCILE_PENDING_AFTER_SECONDS
        conn.execute(sa.update(payment_attempts).values(created_at=utcnow() - timedelta(hours=2)))
    summary = reconcile(engine, provider, settings, trigger="test", since=utcnow())  # nothing new at the provider
    assert summary.tally.checked.get("pending_payments") == 1
    assert order_state(engine, order["order_id"]) == "paid"
    reason = next(reason for (reason,) in [(t[1],) for t in transitions(engine, order["order_id"])] if reason == "paid")
    assert reason == "paid"
    assert ("pending_payment", "auto_repaired", "resolved") in findings(engine)
