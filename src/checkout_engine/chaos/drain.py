"""Waiting until the system has come to rest, by polling with a deadline: first quiet (no job queued or running,
no webhook pending at the provider, no payment still processing there), then at rest (every order in a state it
stays in without outside help, every refund settled)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from checkout_engine.chaos.simulator import SimControl
from checkout_engine.db.tables import jobs, orders, refunds

POLL_SECONDS = 0.5
STABLE_POLLS = 3  # in a row: a sweep may enqueue new work between two looks
# Orders in these states still wait for something the system itself will do (a webhook, a job, expiry).
MOVING_STATES = ("draft", "payment_pending", "payment_authorized", "capture_failed", "paid", "fulfillment_pending")
OPEN_REFUNDS = ("requested", "pending")


@dataclass(frozen=True, slots=True)
class Backlog:
    queued_jobs: int
    running_jobs: int
    pending_webhooks: int
    processing_payments: int
    moving_orders: int
    open_refunds: int

    def quiet(self) -> bool:
        return not (self.queued_jobs or self.running_jobs or self.pending_webhooks or self.processing_payments)

    def at_rest(self) -> bool:
        return self.quiet() and not (self.moving_orders or self.open_refunds)


@dataclass(frozen=True, slots=True)
class Drained:
    reached: bool
    seconds: float
    backlog: Backlog


def _count(conn: sa.Connection, table: sa.Table, condition: sa.ColumnElement[bool]) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(condition)).scalar_one())


def measure(engine: sa.Engine, sim: SimControl) -> Backlog:
    """One look at everything still under way. Webhooks are flushed first: delivery holds and backoff are over."""
    sim.flush_webhooks()
    processing = sum(intent["status"] == "processing" for intent in sim.payment_intents())
    with engine.connect() as conn:
        # A needs-review order waits for a person, not for the system: it rests where it is.
        moving = sa.and_(orders.c.state.in_(MOVING_STATES), orders.c.needs_review.is_(False))
        return Backlog(
            queued_jobs=_count(conn, jobs, jobs.c.status == "queued"),
            running_jobs=_count(conn, jobs, jobs.c.status == "running"),
            pending_webhooks=sim.pending_webhooks(),
            processing_payments=processing,
            moving_orders=_count(conn, orders, moving),
            open_refunds=_count(conn, refunds, refunds.c.status.in_(OPEN_REFUNDS)),
        )


def drain(engine: sa.Engine, sim: SimControl, *, until: Callable[[Backlog], bool], timeout: float) -> Drained:
    """Polls until ``until`` holds for several looks in a row, or ``timeout`` seconds pass."""
    started = time.monotonic()
    stable = 0
    while True:
        backlog = measure(engine, sim)
        stable = stable + 1 if until(backlog) else 0
        elapsed = round(time.monotonic() - started, 1)
        if stable >= STABLE_POLLS:
            return Drained(True, elapsed, backlog)
        if elapsed > timeout:
            return Drained(False, elapsed, backlog)
        time.sleep(POLL_SECONDS)
