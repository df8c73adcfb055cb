"""Dropped webhook repaired by reconciliation: the customer pays and the provider's webhooks never reach us — all of
them lost, or a channel that loses, repeats and reorders them at random. Only the reconciliation the worker
processes run on schedule (here every two seconds) can find out.

What must hold: the webhook is not the only way to the truth. Reconciliation finds the payments the provider
settled, fills the gap in our event history and records what it found; every paid order ends fulfilled exactly
once with a provider reference on its paid transition; nobody is charged twice."""

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from promises import HAPPY_PATH, assert_charged_once, moves, pay, reaches, shipments, transitions
from sqlalchemy import Engine

from checkout_engine.db.tables import reconciliation_findings, reconciliation_runs
from support.processes import ApiProcess, eventually
from support.provider_sim_process import ProviderSimProcess

Place = Callable[..., dict[str, Any]]


@pytest.fixture
def scenario_settings() -> dict[str, str]:
    """Scheduled reconciliation every two seconds (the production default is five minutes)."""
    return {"CHECKOUT_RECONCILE_INTERVAL_SECONDS": "2"}


@pytest.fixture
def worker_count() -> int:
    """Two worker processes, so that webhook processing, fulfilment and scheduled reconciliation race for each order."""
    return 2


def finding_kinds(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(reconciliation_findings.c.kind)).scalars())


def test_a_payment_whose_webhooks_were_all_dropped_is_repaired_to_paid_and_fulfilled(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    sim.configure_webhooks(drop_rate=1.0)  # the provider's news never arrives
    order = place({"SHIRT": 1, "EBOOK": 1})
    pay(sim, order)

    reaches(engine, order["order_id"], "fulfilled")
    assert moves(engine, order["order_id"]) == HAPPY_PATH
    paid = next(t for t in transitions(engine, order["order_id"]) if t[1] == "paid")
    assert paid[2] is not None  # a provider reference proves it
    assert {d["outcome"] for d in sim.deliveries()} == {"dropped"}  # not one delivery reached the API
    eventually(lambda: "webhook_gap" in finding_kinds(engine), what="the gap in our event history to be recorded")
    assert finding_kinds(engine) <= {"webhook_gap", "paid_mismatch"}
    with engine.connect() as conn:
        runs = conn.execute(sa.select(reconciliation_runs.c.status, reconciliation_runs.c.trigger)).all()
    assert runs and all(status in ("succeeded", "running") for status, _ in runs)
    assert {trigger for _, trigger in runs} == {"schedule"}
    assert shipments(engine, order["order_id"]) == 1
    assert_charged_once(sim, order["order_id"], order["total"])


def test_orders_paid_over_a_lossy_repeating_reordering_webhook_channel_are_each_fulfilled_once(
    api: ApiProcess, engine: Engine, sim: ProviderSimProcess, place: Place
) -> None:
    sim.configure_webhooks(drop_rate=0.5, duplicate_rate=0.5, reorder_window_ms=300, seed=11)
    placed = [place({"SHIRT": 1}) for _ in range(4)]
    for order in placed:
        pay(sim, order)

    for order in placed:
        reaches(engine, order["order_id"], "fulfilled")
        assert moves(engine, order["order_id"]) == HAPPY_PATH
        assert shipments(engine, order["order_id"]) == 1
        assert_charged_once(sim, order["order_id"], order["total"])
    assert {d["outcome"] for d in sim.deliveries()} >= {"dropped", "delivered"}
