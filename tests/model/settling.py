"""Letting everything due happen, so that the exact invariants can be checked.

"Settled" means: the provider settled its pending refunds (as it does by itself a moment later), every webhook it
has for us was delivered (the dropped ones re-sent, as the provider's retries or a resend would), every checkout
whose client went away was completed, the worker's sweeps took what is overdue (a hold past its time, an
authorization whose capture job is gone), and every job ran, retries included. Time is moved only as far as that
needs (locks and retry delays run out); reservations do not expire and delayed payments stay processing: those
are the model's own steps.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.checkout import completer
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import idempotency_keys, jobs, payment_attempts, refunds, webhook_events
from checkout_engine.orders import expiry
from checkout_engine.payments import capture
from model.world import World

MAX_ROUNDS = 8  # each round delivers, completes and runs what the previous one made due
# Reconciliation "ten minutes on": past its thresholds (the pending sweep's 10 minutes, the 5 minutes after which an
# open refund is submitted again and an unfinished event counts as stalled).
TEN_MINUTES_ON = timedelta(minutes=11)


def age_unfinished_keys(engine: Engine) -> int:
    """The lock of every unfinished request runs out, as if its process died long ago."""
    past = utcnow() - timedelta(hours=1)
    with engine.begin() as conn:
        aged = conn.execute(
            idempotency_keys.update()
            .where(idempotency_keys.c.response_status.is_(None), idempotency_keys.c.last_run_at > past)
            .values(locked_at=sa.case((idempotency_keys.c.lock_token.is_(None), None), else_=past), last_run_at=past)
        )
    return aged.rowcount


def age_past_reconciliation_thresholds(engine: Engine) -> None:
    """Our records so far age by ten minutes, as reconciliation sees them: every attempt (all alike, so that the
    latest stays the latest), open refunds, and events not processed yet."""
    earlier = sa.literal(TEN_MINUTES_ON, sa.Interval())
    A, R, W = payment_attempts, refunds, webhook_events
    with engine.begin() as conn:
        conn.execute(A.update().values(created_at=A.c.created_at - earlier))
        open_refunds = R.c.status.in_(["requested", "pending"])
        conn.execute(R.update().where(open_refunds).values(updated_at=R.c.updated_at - earlier))
        unfinished = W.c.status.not_in(["processed", "ignored"])
        conn.execute(W.update().where(unfinished).values(last_received_at=W.c.last_received_at - earlier))


def complete_abandoned(world: World) -> int:
    """The completer's sweep, after the locks of requests that stopped half-way ran out; then its jobs."""
    age_unfinished_keys(world.engine)
    queued = completer.enqueue_abandoned(world.context)
    return queued + world.worker.drain() if queued else 0


def make_retries_due(engine: Engine) -> int:
    """Jobs waiting out a retry delay become due now."""
    now = utcnow()
    with engine.begin() as conn:
        made = conn.execute(jobs.update().where(jobs.c.status == "queued", jobs.c.run_at > now).values(run_at=now))
    return made.rowcount


def deliver_missing_events(world: World) -> int:
    """Every provider event not stored here yet (dropped on the way), sent again signed, oldest first."""
    with world.engine.connect() as conn:
        known = set(conn.execute(sa.select(webhook_events.c.event_id)).scalars())
    listed = [event.to_dict() for event in world.stripe.v1.events.list(params={"limit": 100}).auto_paging_iter()]
    missing = sorted((e for e in listed if e["id"] not in known), key=lambda e: (e["created"], e["id"]))
    for event in missing:
        response = world.pipeline.deliver(event)
        assert response.status_code == 200, response.text
    return len(missing)


def settle_pending_refunds(world: World) -> int:
    """The provider completes every refund it holds as pending (successfully, its default)."""
    pending = [
        r.id for r in world.stripe.v1.refunds.list(params={"limit": 100}).auto_paging_iter() if r.status == "pending"
    ]
    for refund_id in pending:
        world.sim.settle_refund(refund_id, "succeed")
    return len(pending)


def settle(world: World) -> list[str]:
    """Deliver, complete and run everything due until nothing is left; a violation if that never happens."""
    for _ in range(MAX_ROUNDS):
        work = settle_pending_refunds(world)
        work += world.sim.flush_webhooks()["attempted"]
        work += deliver_missing_events(world)
        work += complete_abandoned(world)
        work += expiry.enqueue_expired(world.context) + capture.enqueue_uncaptured(world.context)
        work += world.worker.drain()
        work += make_retries_due(world.engine)
        if work == 0:
            return []
    return [f"settle: work was still being made after {MAX_ROUNDS} rounds"]
