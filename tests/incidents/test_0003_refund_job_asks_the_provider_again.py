"""Incident 0003 — 2026-12-06, found by reading the refund job against Stripe's idempotency rules.

Symptom: a refund that was pending at the provider when its job first ran stayed ``pending`` in our books after the
provider had paid it out, and its job retried until it was dead. Once the provider had forgotten the job's
idempotency key (Stripe keeps them 24 h; reconciliation re-queues every refund still open), the job's next run
would have created a second real refund of the same amount.

Root cause: ``refunds.service.submit`` asked the provider for the refund it already knew (by its provider id) and
then, through an inverted test, called ``provider.refund`` again with the same key whenever our record held the
provider's id. The replayed first answer (``pending``) overwrote the status just retrieved.

Fix: a refund the provider already holds is only ever read again, never requested again; a decided refund's status
never moves back to pending (``refunds.repository.MAY_FOLLOW``); a pending refund ends its job (its events and
reconciliation follow it) instead of retrying for days.

What must hold: one provider refund per refund record, whatever runs the job again and whenever; our record follows
the provider's status forward."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.db.tables import refunds
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.refunds import service as refund_service
from support.pipeline import Pipeline

PART = 500


def _refund_row(engine: Engine, order_id: str) -> sa.RowMapping:
    with engine.connect() as conn:
        return conn.execute(sa.select(refunds).where(refunds.c.order_id == order_id)).mappings().one()


def test_a_refund_the_provider_already_holds_is_read_again_never_made_again(
    engine: Engine,
    fulfilled: Callable[..., dict[str, Any]],
    wired: Pipeline,
    worker: Worker,
    state_of: Callable[[str], str],
    refund: Callable[..., dict[str, Any]],
) -> None:
    order = fulfilled()
    wired.sim.configure_settlement(refund_delay_ms=None)  # refunds stay pending until settled by hand
    wired.sim.configure_webhooks(paused=True)  # only the job itself follows the refund here
    refund(order["order_id"], PART, key="goodwill-1")
    worker.drain()
    pending = _refund_row(engine, order["order_id"])
    assert (pending["status"], pending["provider_refund_id"] is not None) == ("pending", True)

    wired.sim.settle_refund(pending["provider_refund_id"])
    for _ in range(3):  # a retry, reconciliation's re-queue, an operator's job retry: all the same job again
        with contextlib.suppress(RetryLater):  # as the worker treats it
            refund_service.submit(worker.context, {"refund_id": pending["id"]})

    after = _refund_row(engine, order["order_id"])
    at_provider = wired.sim.stripe_client().v1.refunds.list(
        params={"payment_intent": order["payment"]["provider_payment_id"]}
    )
    assert [(r.id, r.amount, r.status) for r in at_provider.data] == [
        (pending["provider_refund_id"], PART, "succeeded")
    ]
    assert after["status"] == "succeeded"
    assert state_of(order["order_id"]) == "partially_refunded"


def test_a_refund_pending_longer_than_the_provider_keeps_keys_is_never_made_twice(
    engine: Engine,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    state_of: Callable[[str], str],
    refund: Callable[..., dict[str, Any]],
) -> None:
    order = place()
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_refundPending")
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="fulfilment")
    refund(order["order_id"], PART, key="goodwill-1")
    worker.drain()
    pending = _refund_row(engine, order["order_id"])
    assert pending["status"] == "pending"

    wired.sim.sim("POST", "clock", {"advance_seconds": 25 * 60 * 60})  # the provider forgets the job's key
    for _ in range(2):  # reconciliation re-queues every refund still open; the job runs again
        with contextlib.suppress(RetryLater):
            refund_service.submit(worker.context, {"refund_id": pending["id"]})

    at_provider = wired.sim.stripe_client().v1.refunds.list(
        params={"payment_intent": order["payment"]["provider_payment_id"]}
    )
    assert [(r.id, r.amount) for r in at_provider.data] == [(pending["provider_refund_id"], PART)]
