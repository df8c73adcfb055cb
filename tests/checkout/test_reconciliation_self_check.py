"""Reconciliation's self-check: the money invariants our own database can prove alone, run in production over our
books, report a broken rule as a finding for a person, and report nothing over healthy books."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import inventory, reconciliation_findings
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation.service import reconcile
from checkout_engine.settings import Settings
from support.pipeline import Pipeline


def _self_check_findings(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(reconciliation_findings.c.subject, reconciliation_findings.c.action).where(
                reconciliation_findings.c.kind == "invariant_violated"
            )
        )
        return [(row.subject, row.action) for row in rows]


def test_healthy_books_pass_and_a_broken_stock_counter_is_flagged(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    order = place(shop, {"SHIRT": 1})
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="the order to settle")
    summary = reconcile(engine, provider, settings, trigger="test", since=utcnow())
    assert summary.tally.checked.get("self_check", 0) >= 1
    assert _self_check_findings(engine) == []

    with engine.begin() as conn:  # a counter no hold explains (a hand-made database edit, a bug)
        conn.execute(sa.update(inventory).where(inventory.c.sku == "SHIRT").values(reserved=inventory.c.reserved + 3))
    reconcile(engine, provider, settings, trigger="test", since=utcnow())
    found = _self_check_findings(engine)
    assert found and all(action == "flagged_for_review" for _, action in found)
    assert any(subject.startswith("stock_agrees:SHIRT") for subject, _ in found)
