"""New payment attempts for an expired order: one re-reserves the stock with a new intent and replays by its key, one
fails clearly when the stock is gone, and none is made without the order token. (Expiry itself — the abandoned
order, and the paid one that must not expire — is a scenario: tests/scenarios/.)"""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import inventory, orders
from checkout_engine.db.tables import sweeps as sweeps_table
from checkout_engine.jobs.registry import HANDLERS
from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.checkout import checkout, intents_for, ready_cart
from support.http import assert_error
from support.provider_sim_process import ProviderSimProcess
from support.sweeps import housekeeping


def let_it_expire(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(orders).values(expires_at=utcnow() - timedelta(seconds=1)))


def run_worker(engine: Engine, settings: Settings, provider: PaymentProvider) -> int:
    """One round of the worker after the sweep interval has passed: sweeps, then every due job."""
    with engine.begin() as conn:
        conn.execute(sa.update(sweeps_table).values(next_run_at=utcnow() - timedelta(seconds=1)))
    worker = Worker(
        JobContext(engine, settings, provider_factory=lambda: provider),
        handlers=HANDLERS,
        sweeps=housekeeping(settings),
    )
    worker.run_due_sweeps()
    return worker.drain()


def state_and_reserved(engine: Engine, order_id: str) -> tuple[str, int]:
    with engine.connect() as conn:
        state = conn.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
        reserved = conn.execute(sa.select(inventory.c.reserved).where(inventory.c.sku == "SHIRT")).scalar_one()
    return state, reserved


def new_attempt(client: TestClient, body: dict[str, Any], key: str) -> Any:
    return client.post(
        f"/v1/orders/{body['order_id']}/payment-attempts",
        headers={"Idempotency-Key": key, "X-Order-Token": body["order_token"]},
    )


def test_a_new_payment_attempt_re_reserves_the_stock_of_an_expired_order(
    shop: TestClient, engine: Engine, settings: Settings, provider: PaymentProvider, sim: ProviderSimProcess
) -> None:
    body = checkout(shop, ready_cart(shop), "k").json()
    let_it_expire(engine)
    run_worker(engine, settings, provider)
    response = new_attempt(shop, body, "retry-1")
    assert response.status_code == 201, response.text
    attempt = response.json()
    assert attempt["state"] == "payment_pending" and attempt["payment"]["id"] != body["payment"]["id"]
    assert "order_token" not in attempt
    assert state_and_reserved(engine, body["order_id"]) == ("payment_pending", 2)
    statuses = sorted(intent["status"] for intent in intents_for(sim, body["order_id"]))
    assert statuses == ["canceled", "requires_payment_method"]
    replay = new_attempt(shop, body, "retry-1")
    assert replay.text == response.text and replay.headers["Idempotent-Replayed"] == "true"
    assert_error(new_attempt(shop, body, "retry-2"), 409, "order_not_payable")  # it is pending again


def test_a_new_attempt_when_the_stock_is_gone_fails_clearly_and_changes_nothing(
    shop: TestClient, engine: Engine, settings: Settings, provider: PaymentProvider, admin_headers: dict[str, str]
) -> None:
    body = checkout(shop, ready_cart(shop), "k").json()
    let_it_expire(engine)
    run_worker(engine, settings, provider)
    shop.put("/admin/v1/inventory/SHIRT", json={"on_hand": 1, "reason": "sold elsewhere"}, headers=admin_headers)
    error = assert_error(new_attempt(shop, body, "retry"), 409, "insufficient_inventory")
    assert error["details"]["sku"] == "SHIRT"
    assert state_and_reserved(engine, body["order_id"]) == ("expired", 0)


def test_a_payment_attempt_needs_the_order_token(shop: TestClient) -> None:
    body = checkout(shop, ready_cart(shop), "k").json()
    assert_error(new_attempt(shop, {**body, "order_token": "guess"}, "k2"), 404, "order_not_found")
