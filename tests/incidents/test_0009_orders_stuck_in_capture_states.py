"""Incident 0009 — 2026-12-06, found by reading what happens to manual-capture orders that go wrong.

Symptom: orders stuck for good in the capture states. A ``capture_failed`` order held its stock for ever (no sweep
took it, admin could not cancel it, a provider cancellation of its authorization was ignored, reconciliation skipped
it). A ``payment_authorized`` order whose capture job had died (a long provider outage) was never captured again,
and its authorization lapsed at the provider after about 7 days: goods held, money never taken.

Root cause: every path out of the capture states was one-shot: the capture job enqueued with the authorization, and
the provider's cancellation judged only for ``payment_authorized``.

Fix: a sweep captures again every authorized order whose capture job is gone (``payments.capture.
enqueue_uncaptured``); ``capture_failed`` is cancellable by admin, follows a provider cancellation, is swept with
expiry (its authorization released, the order cancelled and flagged), and is reconciled like any order waiting on
its payment; a lapsed authorization cancels the order, releases its stock and flags it for a person.

What must hold: no stock or coupon is held by an order in ``capture_failed`` past its time; an authorized order is
captured while its authorization lasts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.db.tables import jobs, orders
from checkout_engine.jobs.worker import Worker
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings
from support.pipeline import Pipeline


def _authorized(
    place: Callable[..., dict[str, Any]], provider: PaymentProvider, wired: Pipeline, webhooks_only: Worker
) -> dict[str, Any]:
    order = place()
    provider.confirm(order["payment"]["provider_payment_id"], payment_method="pm_card_visa")
    wired.sim.flush_webhooks()
    webhooks_only.drain()
    return order


def _state(engine: Engine, order_id: str) -> tuple[str, bool]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(orders.c.state, orders.c.needs_review).where(orders.c.id == order_id)).one()
    return row.state, row.needs_review


def _reserved(shop: TestClient, headers: dict[str, str]) -> int:
    return int(shop.get("/admin/v1/inventory/SHIRT", headers=headers).json()["reserved"])


def test_an_authorized_order_whose_capture_job_died_is_captured_by_the_sweep(
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    webhooks_only: Worker,
) -> None:
    settings.capture_method = "manual"
    order = _authorized(place, provider, wired, webhooks_only)
    assert _state(engine, order["order_id"])[0] == "payment_authorized"
    with engine.begin() as conn:  # its worker gave up on it during an outage
        conn.execute(jobs.update().where(jobs.c.kind == "capture_payment").values(status="dead"))

    worker.run_due_sweeps()
    wired.until(lambda: _state(engine, order["order_id"])[0] == "fulfilled", what="the capture")


def test_a_capture_failed_order_whose_authorization_the_provider_released_gives_its_stock_back(
    shop: TestClient,
    engine: Engine,
    settings: Settings,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    worker: Worker,
    admin_headers: dict[str, str],
    webhooks_only: Worker,
) -> None:
    settings.capture_method = "manual"
    before = _reserved(shop, admin_headers)
    order = _authorized(place, provider, wired, webhooks_only)
    intent = order["payment"]["provider_payment_id"]
    wired.sim.configure_webhooks(paused=True)
    wired.sim.stripe_client().v1.payment_intents.cancel(intent)  # released at the provider before our capture
    worker.drain()  # the capture is refused
    assert _state(engine, order["order_id"]) == ("capture_failed", False)
    assert _reserved(shop, admin_headers) > before

    wired.sim.configure_webhooks(paused=False)
    wired.until(lambda: _state(engine, order["order_id"])[0] == "cancelled", what="the provider's cancellation")
    assert _state(engine, order["order_id"]) == ("cancelled", True)
    assert _reserved(shop, admin_headers) == before
