"""Payment truth from the provider's webhooks: signed deliveries are stored once, processed in the worker against
the current state, and make orders paid and fulfilled exactly once — whatever their timing."""

import contextlib
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import entitlements, order_events, orders, receipts, shipment_requests, webhook_events
from checkout_engine.payments.provider import PaymentProvider
from support.checkout import checkout, ready_cart
from support.pipeline import Pipeline


def order_state(engine: Engine, order_id: str) -> str:
    with engine.connect() as conn:
        state: str = conn.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
    return state


def transitions(engine: Engine, order_id: str) -> list[tuple[str | None, str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(order_events.c.from_state, order_events.c.to_state, order_events.c.provider_event_id)
            .where(order_events.c.order_id == order_id, order_events.c.kind == "transition")
            .order_by(order_events.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def place(shop: TestClient, items: dict[str, int] | None = None) -> dict[str, Any]:
    response = checkout(shop, ready_cart(shop, items), "k")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_browser_never_comes_back_yet_the_webhook_alone_makes_the_order_paid_and_fulfilled(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    order = place(shop, {"SHIRT": 1, "EBOOK": 1})
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")  # then the tab closes
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="the order to be fulfilled")
    moves = [(source, target) for source, target, _ in transitions(engine, order["order_id"])]
    assert moves == [
        (None, "draft"),
        ("draft", "payment_pending"),
        ("payment_pending", "paid"),
        ("paid", "fulfillment_pending"),
        ("fulfillment_pending", "fulfilled"),
    ]
    paid = transitions(engine, order["order_id"])[2]
    assert paid[2] is not None and paid[2].startswith("evt_")  # the provider event that proved it
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(entitlements)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar() == 1
        assert conn.execute(sa.select(receipts.c.status)).scalars().all() == ["sent"]
    view = shop.get(f"/v1/orders/{order['order_id']}", headers={"X-Order-Token": order["order_token"]}).json()
    assert view["fulfillment_status"] == "fulfilled" and [d["sku"] for d in view["downloads"]] == ["EBOOK"]
    licence = shop.get(f"/v1/downloads/{view['downloads'][0]['grant_token']}")
    assert licence.status_code == 200 and licence.json()["sku"] == "EBOOK"


def test_every_event_delivered_twice_still_moves_the_order_once(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    wired.sim.configure_webhooks(duplicate_rate=1.0, seed=7)
    order = place(shop)
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="fulfilment")
    wired.pump()
    with engine.connect() as conn:
        counts = conn.execute(sa.select(webhook_events.c.type, webhook_events.c.delivery_count)).all()
        assert conn.execute(sa.select(sa.func.count()).select_from(shipment_requests)).scalar() == 1
    assert counts and all(count == 2 for _, count in counts)
    paid_moves = [t for t in transitions(engine, order["order_id"]) if t[1] == "paid"]
    assert len(paid_moves) == 1


def test_a_success_after_a_decline_still_marks_the_order_paid(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    from checkout_engine.payments.model import PaymentDeclined

    order = place(shop)
    intent = order["payment"]["provider_payment_id"]
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(intent, payment_method="pm_card_chargeDeclined")
    wired.until(lambda: order_state(engine, order["order_id"]) == "payment_failed", what="the decline")
    provider.confirm(intent, payment_method="pm_card_visa")  # the customer tries another card
    wired.until(lambda: order_state(engine, order["order_id"]) == "fulfilled", what="the late success")
    moves = [(source, target) for source, target, _ in transitions(engine, order["order_id"])]
    assert ("payment_pending", "payment_failed") in moves and ("payment_failed", "paid") in moves


def test_a_failure_that_arrives_after_the_success_changes_nothing(
    shop: TestClient, engine: Engine, provider: PaymentProvider, wired: Pipeline
) -> None:
    from checkout_engine.payments.model import PaymentDeclined

    wired.sim.configure_webhooks(drop_rate=1.0)  # we deliver by hand, in the order we choose
    order = place(shop)
    intent = order["payment"]["provider_payment_id"]
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(intent, payment_method="pm_card_chargeDeclined")
    provider.confirm(intent, payment_method="pm_card_visa")
    by_type = {event["type"]: event for event in wired.events_for(intent)}
    assert wired.deliver(by_type["payment_intent.succeeded"]).status_code == 200
    assert wired.deliver(by_type["payment_intent.payment_failed"]).status_code == 200
    wired.pump()
    assert "payment_failed" not in [target for _, target, _ in transitions(engine, order["order_id"])]
    assert order_state(engine, order["order_id"]) == "fulfilled"
    with engine.connect() as conn:
        outcome = conn.execute(
            sa.select(webhook_events.c.status, webhook_events.c.status_reason).where(
                webhook_events.c.type == "payment_intent.payment_failed"
            )
        ).one()
    assert (outcome.status, outcome.status_reason) == ("ignored", "already paid")  # judged on the current payment
