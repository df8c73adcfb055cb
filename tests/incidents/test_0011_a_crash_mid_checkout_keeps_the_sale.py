"""Incident 0011 — 2026-12-06, seen against the real processes with ``CHECKOUT_RESERVATION_TTL_SECONDS=30``.

Symptom: the API process was killed while a checkout's call to create the payment intent was in flight. The
customer's retry with the same key got ``idempotency_key_in_use`` for 60 s and then ``checkout_expired``, although
every item was still in stock: the sale was lost to a crash.

Root cause: the key's lock (60 s) outlived the stock hold (30 s), and a resumed checkout whose hold had run out gave
up instead of holding the stock again.

Fix: the lock lasts as long as the longest provider step a request waits on (``Settings.key_lock``: two provider
timeouts and a margin) and is renewed between steps; a resumed checkout whose hold ran out before expiry took it
holds the stock again for a full reservation when it is still there (``checkout.intent_phase._hold_again``).

What must hold: a crash during checkout never costs a sale whose stock is still there; the retry gets the order and
the very intent made before the crash."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.checkout import service
from checkout_engine.checkout.intent_phase import INTENT_CREATED
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import idempotency_keys, orders
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.checkout import checkout, intents_for, ready_cart
from support.crash import DieAt, ProcessDied
from support.provider_sim_process import ProviderSimProcess


def test_a_retry_after_a_crash_with_the_provider_call_in_flight_gets_the_order_though_its_hold_ran_out(
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    provider: PaymentProvider,
    sim: ProviderSimProcess,
    admin_headers: dict[str, str],
) -> None:
    settings.reservation_ttl_seconds = 30
    assert settings.key_lock() < settings.reservation_ttl()  # a dead request's lock runs out before its hold
    cart_id = ready_cart(shop)
    with contextlib.suppress(ProcessDied):  # killed once the provider made the intent, before it was recorded
        service.checkout(
            engine, provider, settings, cart_id=cart_id, key="k", expected_total=None, hooks=DieAt(INTENT_CREATED)
        )
    past = utcnow() - timedelta(minutes=1)
    with engine.begin() as conn:  # time passes: the hold and the dead request's lock both run out
        conn.execute(sa.update(orders).values(expires_at=past))
        conn.execute(sa.update(idempotency_keys).values(locked_at=past, last_run_at=past))

    retried = checkout(shop, cart_id, "k")
    assert retried.status_code == 201, retried.text
    body = retried.json()
    assert [i["id"] for i in intents_for(sim, body["order_id"])] == [body["payment"]["provider_payment_id"]]
    assert shop.get("/admin/v1/inventory/SHIRT", headers=admin_headers).json()["reserved"] == 2
    with engine.connect() as conn:
        expires_at = conn.execute(sa.select(orders.c.expires_at)).scalar_one()
    assert expires_at > utcnow()
