"""The self-check: the money invariants our own database can prove alone (``invariants.DATABASE_CHECKS``: stock
agrees with its holds, every state change has its event, holds only by orders that may still be paid and none past
its time, coupons within their limits, refunds within what was captured), run over our books in one snapshot.
The same rules the model test and the chaos run hold the engine to; a violation is a finding a person must see.

It reads the whole book at once, so it is for shops whose book fits in memory; larger ones turn it off
(``CHECKOUT_RECONCILE_SELF_CHECK=false``) and run it where they can."""

from __future__ import annotations

from datetime import timedelta

from checkout_engine.clock import utcnow
from checkout_engine.invariants import database_checks
from checkout_engine.invariants.records import load_ours
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.run import Run

NAME = "self_check"
SUBJECT_LENGTH = 128


def check(run: Run) -> None:
    if not run.settings.reconcile_self_check:
        return
    # Holds are judged a sweep interval in the past: one that lapsed a moment ago is the expiry sweep's to release.
    as_of = utcnow() - timedelta(seconds=2 * run.settings.sweep_interval_seconds)
    world = load_ours(run.engine, as_of=as_of)
    run.tally.saw(NAME, len(world.orders))
    order_ids = {order.id for order in world.orders}
    for violation in database_checks(world):
        subject = f"{violation.invariant}:{violation.subject}"[:SUBJECT_LENGTH]
        order_id = violation.subject if violation.subject in order_ids else None
        run.report(
            Finding(
                Kind.INVARIANT_VIOLATED,
                subject,
                Action.FLAGGED,
                order_id,
                believed={"invariant": violation.invariant, "detail": violation.detail},
            )
        )
