"""Incident 0005 — 2026-12-06, found by reading the settlement path for two workers on one intent.

Symptom: a paid and fulfilled order whose payment attempt said ``processing`` with nothing received, so that every
refund of it was refused (``order_not_refundable``) although the provider held the money.

Root cause: two workers processed events of one delayed payment. Worker A read the intent while it was still
``processing``; worker B read it ``succeeded`` and committed ``paid``; then A committed its older read. The status
writes in ``payments/settle.py`` (and in capture and expiry) were unguarded, so A's stale read overwrote B's.

Fix: a payment attempt's status only moves forward in its lifecycle (``payments.attempts.MAY_BECOME``), enforced in
the one statement that records the provider's word; a stale read is refused there, whoever makes it.

What must hold: a payment attempt's provider status never moves backwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.db.tables import payment_attempts
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.payments import attempts
from checkout_engine.payments.model import PaymentStatus
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.payments.settle import settle
from checkout_engine.settings import Settings
from support.pipeline import Pipeline


def test_a_stale_processing_read_committed_after_the_success_changes_nothing(
    engine: Engine,
    place: Callable[..., dict[str, Any]],
    provider: PaymentProvider,
    wired: Pipeline,
    settings: Settings,
    state_of: Callable[[str], str],
    refund: Callable[..., dict[str, Any]],
) -> None:
    wired.sim.configure_settlement(payment_delay_ms=None)  # the delayed method settles only when told
    order = place()
    intent = order["payment"]["provider_payment_id"]
    provider.confirm(intent, payment_method="pm_delayed_succeeds")
    stale = provider.retrieve(intent)  # worker A's read
    assert stale.status is PaymentStatus.PROCESSING
    wired.sim.settle(intent, "succeed")
    wired.until(lambda: state_of(order["order_id"]) == "fulfilled", what="worker B's success")

    with UnitOfWork(engine) as uow:  # worker A commits what it read before
        attempt = attempts.by_provider_id(uow.connection, "stripe", intent)
        assert attempt is not None
        settle(uow, attempt, stale, provider_event_id="evt_stale", actor="provider", settings=settings)
        uow.commit()

    with engine.connect() as conn:
        row = conn.execute(sa.select(payment_attempts).where(payment_attempts.c.id == attempt.id)).mappings().one()
    assert (row["status"], row["amount_received"]) == ("succeeded", order["total"])
    refund(order["order_id"], 100, key="after-stale-read", reason="customer asked")
