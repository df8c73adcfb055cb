"""Incident 0013 — 2026-12-07, found by reading the Stripe adapter against Stripe's error documentation.

Symptom: a refund whose idempotency key Stripe had seen before with other parameters was retried for ever: the
job went on asking, each try answered 400 ``idempotency_error``, until it was dead, and nobody was told why.

Root cause: the adapter translated ``stripe.IdempotencyError`` into "provider unavailable", as if it were the
in-flight conflict. It is not: a key reused with other parameters means our request changed under one key, a
defect that no retry fixes. The in-flight conflict is Stripe's 409 ``idempotency_key_in_use``, which the library
raises as a plain ``APIError``.

Fix: a key reused with other parameters is a refusal (``provider_idempotency_key_mismatch``), handled as every
refusal is (the refund record fails, the order is flagged for a person), counted under its own kind
(``checkout_provider_errors_total{kind="idempotency_key_mismatch"}``) and alerted on. The 409 in-use conflict is
recognised by its code and asked again after a pause, when Stripe has the first request's answer to replay.

What must hold: a defect is surfaced at once, never retried; a transient conflict is waited out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy import Engine

from checkout_engine.db.tables import orders, refunds
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.refunds import service as refund_service
from support.pipeline import Pipeline
from support.provider_sim_process import wait_for
from support.stack import ENGINE_KEY

PART = 500


def _mismatches() -> float:
    value = REGISTRY.get_sample_value(
        "checkout_provider_errors_total", {"operation": "refund", "kind": "idempotency_key_mismatch"}
    )
    return value or 0.0


def test_a_refund_key_the_provider_saw_with_other_parameters_fails_the_refund_and_flags_the_order(
    engine: Engine,
    fulfilled: Callable[..., dict[str, Any]],
    wired: Pipeline,
    refund: Callable[..., dict[str, Any]],
) -> None:
    order = fulfilled()
    intent = order["payment"]["provider_payment_id"]
    wired.sim.configure_webhooks(paused=True)
    refund(order["order_id"], PART, key="goodwill-1")
    with engine.connect() as conn:
        refund_id = conn.execute(sa.select(refunds.c.id).where(refunds.c.order_id == order["order_id"])).scalar_one()
    # The same key sent before for another amount (a defect: our request changed under one key).
    wired.sim.stripe_client(ENGINE_KEY).v1.refunds.create(  # keys are kept per API key
        params={"payment_intent": intent, "amount": PART - 1}, options={"idempotency_key": f"ce:refund:{refund_id}"}
    )
    before = _mismatches()

    refund_service.submit(wired.worker.context, {"refund_id": refund_id})  # no RetryLater: a final answer

    with engine.connect() as conn:
        status = conn.execute(sa.select(refunds.c.status).where(refunds.c.id == refund_id)).scalar_one()
        flagged = conn.execute(sa.select(orders.c.needs_review).where(orders.c.id == order["order_id"])).scalar_one()
    assert (status, flagged) == ("failed", True)
    assert _mismatches() == before + 1


def test_a_key_still_in_use_at_the_provider_is_asked_again_after_a_pause_and_gets_the_first_answer(
    fulfilled: Callable[..., dict[str, Any]], provider: PaymentProvider, wired: Pipeline
) -> None:
    order = fulfilled()
    intent = order["payment"]["provider_payment_id"]
    wired.sim.add_fault("POST", "/v1/refunds", "latency", count=1, latency_ms=1500)
    first: list[Any] = []

    def refund() -> Any:
        return provider.refund(intent, amount=PART, idempotency_key="in-flight-1", metadata={"refund_id": "r1"})

    slow = threading.Thread(target=lambda: first.append(refund()))
    slow.start()
    wait_for(lambda: not wired.sim.sim("GET", "faults")["data"], what="the first request to be in flight")
    second = refund()  # answered 409 idempotency_key_in_use while the first runs, then the first's answer
    slow.join(timeout=10)

    assert [r.id for r in first] == [second.id]
    listed = wired.sim.stripe_client().v1.refunds.list(params={"payment_intent": intent}).data
    assert len(listed) == 1
