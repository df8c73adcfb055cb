"""Crash mid-checkout: the process dies after the order is written but before the intent exists (or after the
intent exists but before we recorded it). A retry with the same key, or the worker's completer, finishes the
checkout from its recovery point: one order, one set of holds, one intent, nothing orphaned."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.checkout import service
from checkout_engine.checkout.intent_phase import INTENT_CREATED
from checkout_engine.checkout.model import ORDER_CREATED
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import idempotency_keys, inventory, inventory_reservations, orders
from checkout_engine.jobs.registry import HANDLERS
from checkout_engine.jobs.worker import JobContext, Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.checkout import checkout, intents_for, ready_cart
from support.http import assert_error
from support.provider_sim_process import ProviderSimProcess
from support.sweeps import housekeeping


class ProcessDied(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler catches it."""


class CrashAt:
    def __init__(self, point: str) -> None:
        self.point = point

    def reached(self, point: str) -> None:
        if point == self.point:
            raise ProcessDied(point)


def crash(engine: Engine, provider: PaymentProvider, settings: Settings, cart_id: str, point: str) -> None:
    with pytest.raises(ProcessDied):
        service.checkout(
            engine, provider, settings, cart_id=cart_id, key="k", expected_total=None, hooks=CrashAt(point)
        )


def age_the_key(engine: Engine) -> None:
    """Let the dead request's lock run out (as if the lock timeout had passed)."""
    past = utcnow() - timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(sa.update(idempotency_keys).values(locked_at=past, last_run_at=past))


def assert_one_of_everything(engine: Engine, sim: ProviderSimProcess, order_id: str) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.id)).scalars().all() == [order_id]
        assert conn.execute(sa.select(inventory_reservations.c.status)).scalars().all() == ["active"]
        assert conn.execute(sa.select(inventory.c.reserved).where(inventory.c.sku == "SHIRT")).scalar() == 2
    assert len(intents_for(sim, order_id)) == 1


@pytest.mark.parametrize("point", [ORDER_CREATED, INTENT_CREATED])
def test_a_retry_with_the_same_key_completes_a_checkout_that_died_half_way(
    shop: TestClient,
    engine: Engine,
    provider: PaymentProvider,
    settings: Settings,
    sim: ProviderSimProcess,
    point: str,
) -> None:
    cart_id = ready_cart(shop)
    crash(engine, provider, settings, cart_id, point)
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.state)).scalars().all() == ["draft"]
    assert_error(checkout(shop, cart_id, "k"), 409, "idempotency_key_in_use")  # the lock is still fresh
    age_the_key(engine)
    response = checkout(shop, cart_id, "k")
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "payment_pending"
    assert_one_of_everything(engine, sim, response.json()["order_id"])


def test_the_worker_completes_a_checkout_whose_client_never_came_back(
    shop: TestClient, engine: Engine, provider: PaymentProvider, settings: Settings, sim: ProviderSimProcess
) -> None:
    cart_id = ready_cart(shop)
    crash(engine, provider, settings, cart_id, ORDER_CREATED)
    age_the_key(engine)
    worker = Worker(
        JobContext(engine, settings, provider_factory=lambda: provider),
        handlers=HANDLERS,
        sweeps=housekeeping(settings),
    )
    assert worker.run_due_sweeps() >= 1
    assert worker.drain() == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(orders.c.state)).scalars().all() == ["payment_pending"]
    replay = checkout(shop, cart_id, "k")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert_one_of_everything(engine, sim, replay.json()["order_id"])
