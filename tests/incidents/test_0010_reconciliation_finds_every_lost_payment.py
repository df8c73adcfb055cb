"""Incident 0010 — 2026-12-06, found by reading what each reconciliation check can see.

Symptom: payments the provider took that no order recorded, never repaired: a customer paid the declined intent of
an older order again (Stripe allows it) and its webhooks were lost; an event whose processing job died during an
outage was never processed, though Stripe redelivered it.

Root cause: (a) processing was queued only on an event's first delivery, so a redelivery of an event whose job was
dead changed nothing, and no check looked at stored events left unprocessed; (b) the pending sweep took only
``payment_pending``/``payment_authorized`` orders whose ``updated_at`` was older than the threshold, which expiry
keeps pushing forward; (c) the provider-payments check lists only intents created since its cursor, so a late
success on an older intent of a ``payment_failed``, ``expired`` or ``cancelled`` order was outside every check.

Fix: a redelivery of an unfinished event queues it again; reconciliation queues again every stored event left
unfinished (``webhook_stalled``); the pending sweep re-reads every attempt whose intent could still take money for
an order that holds none, whatever the order's state, by the attempt's age.

What must hold: reconciliation finds every succeeded provider payment without a paid order, whenever its intent was
created, and no webhook event that changes an order ends with a dead job unrepaired."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import jobs, payment_attempts, webhook_events
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments.model import PaymentDeclined
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation.service import reconcile
from checkout_engine.settings import Settings
from support.pipeline import Pipeline

LONG_AGO = timedelta(hours=2)


def _age(engine: Engine, order_id: str) -> None:
    """As if the order's attempt was made well before the pending threshold (and before the last run's cursor)."""
    with engine.begin() as conn:
        conn.execute(
            payment_attempts.update()
            .where(payment_attempts.c.order_id == order_id)
            .values(created_at=utcnow() - LONG_AGO)
        )


def test_a_late_success_on_the_declined_intent_of_an_old_order_is_found_and_repaired(
    engine: Engine,
    settings: Settings,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    state_of: Callable[[str], str],
) -> None:
    order = place()
    intent = order["payment"]["provider_payment_id"]
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(intent, payment_method="pm_card_chargeDeclined")
    wired.until(lambda: state_of(order["order_id"]) == "payment_failed", what="the decline")
    wired.sim.configure_webhooks(drop_rate=1.0)  # the provider's news of the retry never arrives
    provider.confirm(intent, payment_method="pm_card_visa")
    _age(engine, order["order_id"])

    past_its_creation = utcnow() + timedelta(seconds=2)  # the last run's cursor is beyond the intent's creation
    reconcile(engine, provider, settings, trigger="test", since=past_its_creation)
    worker.drain()
    assert state_of(order["order_id"]) == "fulfilled"


def test_a_redelivered_event_whose_job_died_is_processed(
    engine: Engine,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    state_of: Callable[[str], str],
) -> None:
    wired.sim.configure_webhooks(paused=True)
    order = place()
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    succeeded = next(
        e for e in wired.events_for(order["payment"]["provider_payment_id"]) if e["type"] == "payment_intent.succeeded"
    )
    assert wired.deliver(succeeded).status_code == 200
    with engine.begin() as conn:  # its worker gave up during an outage
        conn.execute(jobs.update().where(jobs.c.kind == "process_webhook").values(status="dead"))
        conn.execute(webhook_events.update().values(status="failed", last_error="provider unavailable"))

    assert wired.deliver(succeeded).status_code == 200  # the provider tries again
    worker.drain()
    assert state_of(order["order_id"]) == "fulfilled"
