"""`GET /metrics`: the process's (or, in multiprocess mode, every process's) counters and histograms, plus gauges
read from the database at scrape time — orders by state, stuck orders, orders needing review, the job backlog."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import sqlalchemy as sa
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from checkout_engine.approvals import repository as approvals
from checkout_engine.clock import utcnow
from checkout_engine.db.tables import jobs, orders
from checkout_engine.orders.model import STUCK_IF_OLD
from checkout_engine.outgoing import endpoints as outgoing
from checkout_engine.settings import Settings

STUCK_STATES = sorted(state.value for state in STUCK_IF_OLD)


class DatabaseGauges(Collector):
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def collect(self) -> Iterator[GaugeMetricFamily]:
        by_state = GaugeMetricFamily("checkout_orders", "Orders by state.", labels=["state"])
        stuck = GaugeMetricFamily(
            "checkout_orders_stuck", "Orders waiting longer than the pending threshold.", labels=["state"]
        )
        review = GaugeMetricFamily("checkout_orders_needing_review", "Orders flagged for a person to look at.")
        backlog = GaugeMetricFamily("checkout_jobs", "Jobs by status.", labels=["status"])
        approval = GaugeMetricFamily("checkout_approvals", "Approval requests by status.", labels=["status"])
        waiting = GaugeMetricFamily(
            "checkout_approvals_oldest_pending_seconds", "How long the oldest pending approval request has waited."
        )
        undelivered = GaugeMetricFamily(
            "checkout_outgoing_webhooks_oldest_pending_seconds",
            "Age of the oldest event not yet delivered to an active shop endpoint.",
        )
        disabled = GaugeMetricFamily(
            "checkout_webhook_endpoints_disabled", "Shop endpoints disabled after failing every delivery for a day."
        )
        now = utcnow()
        cutoff = now - timedelta(seconds=self.settings.reconcile_pending_after_seconds)
        with self.engine.connect() as conn:
            for state, count in conn.execute(sa.select(orders.c.state, sa.func.count()).group_by(orders.c.state)):
                by_state.add_metric([state], count)
            rows = conn.execute(
                sa.select(orders.c.state, sa.func.count())
                .where(orders.c.state.in_(STUCK_STATES), orders.c.updated_at < cutoff)
                .group_by(orders.c.state)
            )
            stale: dict[str, int] = {state: count for state, count in rows}
            review.add_metric([], conn.execute(sa.select(sa.func.count()).where(orders.c.needs_review)).scalar_one())
            for status, count in conn.execute(sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status)):
                backlog.add_metric([status], count)
            for status, count in approvals.counts_by_status(conn, now=now).items():
                approval.add_metric([status], count)
            oldest = approvals.oldest_pending(conn, now=now)
            undelivered_since, off = outgoing.health(conn)
        undelivered.add_metric([], (now - undelivered_since).total_seconds() if undelivered_since else 0.0)
        disabled.add_metric([], off)
        waiting.add_metric([], (now - oldest).total_seconds() if oldest is not None else 0.0)
        for state in STUCK_STATES:
            stuck.add_metric([state], stale.get(state, 0))
        yield from (by_state, stuck, review, backlog, approval, waiting, undelivered, disabled)


def render(engine: Engine, settings: Settings) -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    from_database = CollectorRegistry()
    from_database.register(DatabaseGauges(engine, settings))
    return generate_latest(counted) + generate_latest(from_database)
