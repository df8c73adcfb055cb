"""Webhook edges that are not failure scenarios of their own: a dispute flags the order for review, and oversized or
non-JSON bodies get a clear 4xx. (Early, late, duplicate and forged deliveries are scenarios: tests/scenarios/.)"""

import time

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place

from checkout_engine.db.tables import jobs, webhook_events
from checkout_engine.db.tables import orders as orders_table
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.webhooks.ingest import PROCESS_WEBHOOK
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline


def test_a_dispute_flags_the_order_for_review(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    wired.sim.open_dispute(order["payment"]["provider_payment_id"])

    def flagged() -> bool:
        with engine.connect() as conn:
            return bool(conn.execute(sa.select(orders_table.c.needs_review)).scalar_one())

    wired.until(flagged, what="the dispute to flag the order")


def test_oversized_or_non_json_webhook_bodies_get_a_clear_4xx(shop: TestClient, wired: Pipeline) -> None:
    from checkout_engine.webhooks.signature import signature_header

    big = b'{"pad": "' + b"x" * (600 * 1024) + b'"}'
    assert shop.post("/webhooks/stripe", content=big).status_code == 413
    garbage = b"not json at all"
    header = signature_header(garbage, secret=wired.secret, timestamp=int(time.time()))
    response = shop.post("/webhooks/stripe", content=garbage, headers={"Stripe-Signature": header})
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_event"


def test_checkout_with_the_cart_api_is_unaffected_by_webhook_settings(shop: TestClient) -> None:
    assert checkout(shop, ready_cart(shop), "k").status_code == 201


def test_an_event_that_cannot_change_an_order_costs_no_job_and_no_provider_read(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, admin_headers: dict[str, str]
) -> None:
    wired.sim.configure_webhooks(drop_rate=1.0)  # the test delivers by hand
    order = place(shop)
    intent = order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_card_visa")
    # The charge's companion event: the payment's own event (not delivered here) is the one that counts.
    companion = next(e for e in wired.events_for(intent) if e["type"] == "charge.succeeded")
    wired.sim.add_fault("GET", "/v1/payment_intents/", "error_500", count=1000)  # any read would fail
    assert wired.deliver(companion).status_code == 200

    def stored() -> sa.RowMapping:
        with engine.connect() as conn:
            query = sa.select(webhook_events).where(webhook_events.c.event_id == companion["id"])
            return conn.execute(query).mappings().one()

    row = stored()
    assert (row["status"], row["status_reason"]) == ("ignored", "charge.succeeded cannot change an order")
    assert row["order_id"] == order["order_id"] and row["processed_at"] is not None  # on the order's timeline
    with engine.connect() as conn:
        processing = sa.select(sa.func.count()).select_from(jobs).where(jobs.c.kind == PROCESS_WEBHOOK)
        assert conn.execute(processing).scalar_one() == 0

    # An operator's replay runs a job, which finds nothing to do without asking the provider.
    replay = shop.post(f"/admin/v1/webhook-events/{row['id']}/replay", json={"reason": "check"}, headers=admin_headers)
    assert replay.status_code == 200, replay.text
    wired.until(lambda: stored()["processed_at"] != row["processed_at"], what="the replay to be processed")
    after = stored()
    assert after["status"] == "ignored" and after["last_error"] is None
    assert order_state(engine, order["order_id"]) == "payment_pending"
