"""Edges of expiry found in review: each reproduces a way stock or money could have been lost, and what must
hold instead."""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_reservation_expiry import let_it_expire, new_attempt, run_worker, state_and_reserved

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import idempotency_keys, orders
from checkout_engine.jobs.worker import Worker
from checkout_engine.orders.expiry import expire_order
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.checkout import checkout, intents_for, ready_cart
from support.http import assert_error
from support.provider_sim_process import ProviderSimProcess


def test_a_coupon_order_that_expired_can_take_a_new_payment_attempt(
    shop: TestClient, engine: Engine, settings: Settings, provider: PaymentProvider
) -> None:
    cart_id = ready_cart(shop)
    shop.put(f"/v1/carts/{cart_id}/coupon", json={"code": "TENOFF"})
    body = checkout(shop, cart_id, "k").json()
    let_it_expire(engine)
    run_worker(engine, settings, provider)
    response = new_attempt(shop, body, "again")
    assert response.status_code == 201, response.text
    assert response.json()["total"] == body["total"]


def test_expiring_twice_never_touches_a_reopened_order(
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    provider: PaymentProvider,
    worker: Worker,
    sim: ProviderSimProcess,
) -> None:
    body = checkout(shop, ready_cart(shop), "k").json()
    let_it_expire(engine)
    run_worker(engine, settings, provider)
    assert new_attempt(shop, body, "again").status_code == 201
    expire_order(worker.context, {"order_id": body["order_id"]})  # a late re-run of the finished job
    assert state_and_reserved(engine, body["order_id"]) == ("payment_pending", 2)
    assert sorted(i["status"] for i in intents_for(sim, body["order_id"])) == ["canceled", "requires_payment_method"]


def test_a_payment_still_processing_keeps_its_stock_and_is_not_picked_again_at_once(
    shop: TestClient, engine: Engine, settings: Settings, provider: PaymentProvider, sim: ProviderSimProcess
) -> None:
    sim.configure_settlement(payment_delay_ms=None)  # the delayed method settles only when told
    body = checkout(shop, ready_cart(shop), "k").json()
    provider.confirm(body["payment"]["provider_payment_id"], payment_method="pm_delayed_succeeds")
    let_it_expire(engine)
    assert run_worker(engine, settings, provider) == 1
    assert state_and_reserved(engine, body["order_id"]) == ("payment_pending", 2)
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.expires_at)).scalar_one() > utcnow() + timedelta(minutes=5)
    assert run_worker(engine, settings, provider) == 0


def test_a_checkout_whose_hold_ran_out_while_the_provider_failed_holds_the_stock_again_on_retry(
    shop: TestClient, engine: Engine, sim: ProviderSimProcess
) -> None:
    """Its stock is still there: a provider outage (or a crash) must not cost the sale (incident 0011). A checkout
    that truly gave up gives the customer the cart back (tests/admin: cancelling a draft order)."""
    cart_id = ready_cart(shop)
    sim.add_fault("POST", "/v1/payment_intents", "error_500", count=1)
    assert_error(checkout(shop, cart_id, "k"), 503, "provider_unavailable")
    let_it_expire(engine)
    retried = checkout(shop, cart_id, "k")
    assert retried.status_code == 201, retried.text
    assert state_and_reserved(engine, retried.json()["order_id"]) == ("payment_pending", 2)
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.expires_at)).scalar_one() > utcnow()
    assert_error(checkout(shop, cart_id, "k2"), 409, "cart_already_checked_out")


def test_an_unexpected_failure_leaves_the_key_free_so_the_retry_runs_at_once(
    shop: TestClient, engine: Engine, monkeypatch: Any
) -> None:
    from checkout_engine.checkout import order_phase

    cart_id = ready_cart(shop)
    real = order_phase.create_order

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(order_phase, "create_order", broken)
    with pytest.raises(RuntimeError):  # the in-process client re-raises what the server answered with a 500
        checkout(shop, cart_id, "k")
    with engine.connect() as conn:  # the key is stored with the order phase one made, or not at all
        assert conn.execute(sa.select(sa.func.count()).select_from(idempotency_keys)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one() == 0
    monkeypatch.setattr(order_phase, "create_order", real)
    assert checkout(shop, cart_id, "k").status_code == 201
