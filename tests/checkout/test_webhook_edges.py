"""Webhooks that arrive early, late or forged: a refund before our own paid transition waits for it, a delayed
capture confirmation changes nothing, late money for an order whose stock is gone is refunded and never
fulfilled, and spoofed deliveries are refused and stored nowhere."""

import json
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_webhooks_to_order_truth import order_state, place, transitions

from checkout_engine.db.tables import orders as orders_table
from checkout_engine.db.tables import refunds, shipment_requests, webhook_events
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.inventory import service as inventory
from checkout_engine.observability.metrics import WEBHOOK_SIGNATURE_FAILURES
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import OrderState
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline
from support.provider_sim_process import wait_for


def test_a_refund_event_before_our_paid_transition_is_held_then_applied(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    wired.sim.configure_webhooks(drop_rate=1.0)
    order = place(shop)
    intent = order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_card_visa")
    refund = wired.sim.stripe_client().v1.refunds.create(params={"payment_intent": intent})  # at the provider
    wait_for(
        lambda: wired.sim.stripe_client().v1.refunds.retrieve(refund.id).status == "succeeded",
        what="the provider to settle the refund",
    )
    events = wired.events_for(intent)
    refund_events = [e for e in events if e["type"].startswith(("charge.refunded", "refund."))]
    assert refund_events
    for event in refund_events:  # the refund news first...
        wired.deliver(event)
    wired.pump()
    with engine.connect() as conn:
        held = (
            conn.execute(
                sa.select(webhook_events.c.status).where(webhook_events.c.type.in_([e["type"] for e in refund_events]))
            )
            .scalars()
            .all()
        )
    assert set(held) == {"held"} and order_state(engine, order["order_id"]) == "payment_pending"
    succeeded = next(e for e in events if e["type"] == "payment_intent.succeeded")
    wired.deliver(succeeded)  # ...then the payment
    wired.until(lambda: order_state(engine, order["order_id"]) == "refunded", what="the held refund to apply")
    with engine.connect() as conn:
        assert conn.execute(sa.select(refunds.c.status, refunds.c.requested_by)).all() == [("succeeded", "provider")]


def test_a_delayed_capture_confirmation_changes_nothing(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, settings: Settings
) -> None:
    settings.capture_method = "manual"
    wired.sim.configure_webhooks(drop_rate=1.0)
    order = place(shop)
    intent = order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_card_visa")
    authorized = next(e for e in wired.events_for(intent) if e["type"] == "payment_intent.amount_capturable_updated")
    wired.deliver(authorized)
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="capture and fulfilment")
    assert ("payment_pending", "payment_authorized") in [(s, t) for s, t, _ in transitions(engine, order["order_id"])]
    succeeded = next(e for e in wired.events_for(intent) if e["type"] == "payment_intent.succeeded")
    before = transitions(engine, order["order_id"])
    wired.deliver(succeeded)  # the capture's own confirmation, late
    wired.pump()
    assert transitions(engine, order["order_id"]) == before


def test_late_money_for_an_expired_order_whose_stock_is_gone_is_refunded_and_never_fulfilled(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, admin_headers: dict[str, str]
) -> None:
    order = place(shop)
    with UnitOfWork(engine) as uow:  # the order expired (its intent left open) and the stock sold elsewhere
        current = orders.get_order(uow, order["order_id"])
        orders.transition(uow, current, OrderState.EXPIRED, reason="reservation_expired", actor="worker")
        inventory.release(uow, current.id)
        uow.commit()
    shop.put("/admin/v1/inventory/SHIRT", json={"on_hand": 0, "reason": "sold out"}, headers=admin_headers)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "refunded", what="the automatic refund")
    moves = [(s, t) for s, t, _ in transitions(engine, order["order_id"])]
    assert ("expired", "paid") in moves and ("paid", "refunded") in moves
    assert not any(t in ("fulfillment_pending", "fulfilled") for _, t in moves)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar() == 0
        review = conn.execute(sa.select(orders_table.c.needs_review, orders_table.c.review_reason)).one()
    assert review == (True, "paid but the stock is gone")
    view = shop.get(f"/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]}).json()
    assert view["state"] == "refunded"
    refunded = wired.sim.stripe_client().v1.refunds.list(
        params={"payment_intent": order["payment"]["provider_payment_id"]}
    )
    assert [r.amount for r in refunded.data] == [order["total"]]


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


@pytest.mark.parametrize("forgery", ["unsigned", "wrong_secret", "stale", "tampered"])
def test_a_spoofed_webhook_is_refused_stored_nowhere_and_counted(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline, forgery: str
) -> None:
    wired.sim.configure_webhooks(drop_rate=1.0)
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    event = next(
        e for e in wired.events_for(order["payment"]["provider_payment_id"]) if e["type"] == "payment_intent.succeeded"
    )
    before = WEBHOOK_SIGNATURE_FAILURES._value.get()
    if forgery == "unsigned":
        response = shop.post("/webhooks/stripe", content=json.dumps(event))
    elif forgery == "wrong_secret":
        response = wired.deliver(event, secret="whsec_attacker")
    elif forgery == "stale":
        response = wired.deliver(event, timestamp=int(time.time()) - 3600)
    else:
        from checkout_engine.webhooks.signature import signature_header

        body = json.dumps(event).encode()
        header = signature_header(body, secret=wired.secret, timestamp=int(time.time()))
        response = shop.post(
            "/webhooks/stripe", content=body.replace(b"succeeded", b"SUCCEEDED"), headers={"Stripe-Signature": header}
        )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_signature"
    assert WEBHOOK_SIGNATURE_FAILURES._value.get() == before + 1
    wired.pump()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(webhook_events)).scalar() == 0
    assert order_state(engine, order["order_id"]) == "payment_pending"


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
