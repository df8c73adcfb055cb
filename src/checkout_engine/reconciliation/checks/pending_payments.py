"""Pending payment sweep: orders waiting on the provider for too long are settled by the provider's current word,
in pages, so 100,000 of them never sit in memory at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import orders
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders.model import OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.truth import Action as Verdict
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.references import settle_as_reconciliation
from checkout_engine.reconciliation.run import Run

NAME = "pending_payments"
PAGE = 500
PARALLEL = 8  # below the engine's pool, which the worker and the API share
WAITING = (OrderState.PAYMENT_PENDING.value, OrderState.PAYMENT_AUTHORIZED.value)


def _stale_orders(run: Run) -> Iterator[str]:
    cutoff = utcnow() - timedelta(seconds=run.settings.reconcile_pending_after_seconds)
    after = ""
    while True:
        with run.engine.connect() as conn:
            page = (
                conn.execute(
                    sa.select(orders.c.id)
                    .where(orders.c.state.in_(WAITING), orders.c.updated_at < cutoff, orders.c.id > after)
                    .order_by(orders.c.id)
                    .limit(PAGE)
                )
                .scalars()
                .all()
            )
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1]


def check(run: Run) -> None:
    # Each order is its own provider call and transaction: a few at a time hide the round trips.
    with ThreadPoolExecutor(PARALLEL) as pool:
        for _ in pool.map(lambda order_id: _sweep(run, order_id), _stale_orders(run)):
            run.tally.saw(NAME)


def _sweep(run: Run, order_id: str) -> None:
    with UnitOfWork(run.engine) as uow:
        attempt = attempts.latest_for_order(uow.connection, order_id)
    if attempt is None or attempt.provider_payment_id is None:
        return
    current = run.provider.retrieve(attempt.provider_payment_id)
    with UnitOfWork(run.engine) as uow:
        before = uow.connection.execute(sa.select(orders.c.state).where(orders.c.id == order_id)).scalar_one()
        verdict = settle_as_reconciliation(uow, attempt, current, run.settings)
        if verdict is None:
            return  # settled by a webhook or another run a moment ago
        uow.commit()
    if verdict.action not in (Verdict.NOTHING, Verdict.WAIT):
        run.report(
            Finding(
                Kind.PENDING_PAYMENT,
                order_id,
                Action.AUTO_REPAIRED,
                order_id,
                believed={"state": before},
                provider_says={"status": current.raw_status},
            )
        )
