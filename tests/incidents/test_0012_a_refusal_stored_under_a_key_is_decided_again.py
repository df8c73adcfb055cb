"""Incident 0012 — 2026-12-07, found by holding the simulator to Stripe's documented idempotency rules.

Symptom: against Stripe, one refused call poisoned its operation for a day. Stripe stores the answer of a request
that began executing under its idempotency key, refusals included, and gives it again for 24 hours. A capture
refused while the intent was not yet capturable was refused again once it was, and the order went to
``capture_failed`` with a live authorization; a cancellation refused while a payment was processing was refused
again after the payment had failed, and the intent stayed confirmable beside the order's new one; a refund whose
refusal came back after its answer was lost (the refused amount was free again by then) was marked failed.

Root cause: capture, cancel and refund keys were derived from our record ids alone (``ce:capture:<attempt>``), so
every later try of the operation, however much had changed, sent the key the refusal was stored under.

Fix: the keys are kept beside our records (``payments.provider_keys``, table ``provider_keys``); a key that met a
refusal is spent; a refusal Stripe marks as replayed (``Idempotent-Replayed: true``) is about the past, so the
operation is decided again on a fresh read and, if still wanted, sent once more under the next generation's key.
A refusal given fresh stays final, as before.

What must hold: a refusal ends a key, never an operation; no try is made without reading the provider first."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import stripe
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import provider_keys, refunds
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments import capture
from checkout_engine.payments.model import PaymentDeclined
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.refunds import service as refund_service
from checkout_engine.settings import Settings
from support.checkout import intents_for
from support.pipeline import Pipeline
from support.stack import ENGINE_KEY

PART = 500


def _keys(engine: Engine, record_id: str) -> list[tuple[int, bool]]:
    """(generation, spent) of every key sent for the record."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(provider_keys.c.generation, provider_keys.c.spent_at)
            .where(provider_keys.c.record_id == record_id)
            .order_by(provider_keys.c.generation)
        ).all()
    return [(row.generation, row.spent_at is not None) for row in rows]


def _refused(call: Callable[[], Any]) -> str:
    """Plants an earlier try of ours that the provider refused (and so stored under its key)."""
    try:
        call()
    except stripe.InvalidRequestError as error:
        return str(error.code)
    raise AssertionError("the provider took a call it should have refused")


def test_a_capture_refused_too_early_is_made_again_under_a_new_key_once_the_intent_is_capturable(
    shop: TestClient,
    admin_headers: dict[str, str],
    engine: Engine,
    settings: Settings,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    state_of: Callable[[str], str],
    webhooks_only: Worker,
) -> None:
    settings.capture_method = "manual"
    order = place()
    intent, attempt_id = order["payment"]["provider_payment_id"], order["payment"]["id"]
    client = wired.sim.stripe_client(ENGINE_KEY)  # keys are kept per API key
    code = _refused(
        lambda: client.v1.payment_intents.capture(intent, options={"idempotency_key": f"ce:capture:{attempt_id}"})
    )
    assert code == "payment_intent_unexpected_state"

    provider.confirm(intent, payment_method="pm_card_visa")
    wired.sim.flush_webhooks()
    webhooks_only.drain()
    assert state_of(order["order_id"]) == "payment_authorized"
    for _ in range(2):  # the capture job, and its retry
        with contextlib.suppress(RetryLater):
            capture.capture(worker.context, {"attempt_id": attempt_id})

    assert state_of(order["order_id"]) == "paid"
    assert client.v1.payment_intents.retrieve(intent).status == "succeeded"
    assert _keys(engine, attempt_id) == [(1, True), (2, False)]
    shown = shop.get(f"/admin/v1/orders/{order['order_id']}", headers=admin_headers).json()["provider_keys"]
    assert [(k["operation"], k["key"], k["spent_because"] is not None) for k in shown] == [
        ("capture", f"ce:capture:{attempt_id}", True),
        ("capture", f"ce:capture:{attempt_id}:2", False),
    ]


def test_a_cancel_refused_while_processing_is_made_again_once_the_payment_failed(
    shop: TestClient,
    engine: Engine,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    state_of: Callable[[str], str],
) -> None:
    wired.sim.configure_settlement(payment_delay_ms=None)  # processing until settled by hand
    order = place()
    intent, attempt_id = order["payment"]["provider_payment_id"], order["payment"]["id"]
    client = wired.sim.stripe_client(ENGINE_KEY)  # keys are kept per API key
    with contextlib.suppress(PaymentDeclined):
        provider.confirm(intent, payment_method="pm_delayed_fails")
    code = _refused(
        lambda: client.v1.payment_intents.cancel(intent, options={"idempotency_key": f"ce:cancel:{attempt_id}"})
    )
    assert code == "payment_intent_unexpected_state"
    wired.sim.settle(intent, "fail")
    wired.until(lambda: state_of(order["order_id"]) == "payment_failed", what="the failed payment")

    headers = {"X-Order-Token": order["order_token"], "Idempotency-Key": "second-try"}
    retry = shop.post(f"/v1/orders/{order['order_id']}/payment-attempts", headers=headers)
    assert retry.status_code == 201, retry.text

    statuses = {found["id"]: found["status"] for found in intents_for(wired.sim, order["order_id"])}
    assert statuses[intent] == "canceled"  # not left confirmable beside the new attempt's intent
    assert _keys(engine, attempt_id) == [(1, True), (2, False)]


def _refund_rows(engine: Engine, order_id: str) -> list[sa.RowMapping]:
    with engine.connect() as conn:
        query = sa.select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.created_at)
        return list(conn.execute(query).mappings())


def test_a_refund_whose_refusal_is_replayed_is_asked_again_once_the_money_is_free(
    engine: Engine,
    fulfilled: Callable[..., dict[str, Any]],
    wired: Pipeline,
    refund: Callable[..., dict[str, Any]],
) -> None:
    order = fulfilled(payment_method="pm_card_refundFail")
    intent = order["payment"]["provider_payment_id"]
    wired.sim.configure_webhooks(paused=True)
    wired.sim.configure_settlement(refund_delay_ms=None)  # refunds stay pending until settled by hand
    refund(order["order_id"], PART, key="goodwill-1")
    ours = _refund_rows(engine, order["order_id"])[0]
    client = wired.sim.stripe_client(ENGINE_KEY)  # keys are kept per API key
    # Made at the provider's dashboard meanwhile: it holds all but a little of the money while it is pending.
    elsewhere = client.v1.refunds.create(params={"payment_intent": intent, "amount": order["total"] - 100})
    params: Any = {
        "payment_intent": intent,
        "amount": PART,
        "metadata": {"refund_id": ours["id"], "order_id": order["order_id"]},
    }
    code = _refused(
        lambda: client.v1.refunds.create(params=params, options={"idempotency_key": f"ce:refund:{ours['id']}"})
    )
    assert code == "amount_too_large"
    wired.sim.settle_refund(elsewhere.id, "fail")  # the money is free again

    for _ in range(2):  # our job, and its retry
        with contextlib.suppress(RetryLater):
            refund_service.submit(wired.worker.context, {"refund_id": ours["id"]})

    at_provider = client.v1.refunds.list(params={"payment_intent": intent}).data
    made = [r for r in at_provider if r.to_dict()["metadata"].get("refund_id") == ours["id"]]
    assert [(r.amount, r.status) for r in made] == [(PART, "pending")]
    after = next(row for row in _refund_rows(engine, order["order_id"]) if row["id"] == ours["id"])
    assert (after["status"], after["provider_refund_id"]) == ("pending", made[0].id)
    assert _keys(engine, ours["id"]) == [(1, True), (2, False)]
