"""Reconciliation from the worker: on a schedule (a sweep) and on request (a job)."""

from __future__ import annotations

from typing import Any

from checkout_engine.jobs.worker import JobContext
from checkout_engine.reconciliation.service import reconcile

RECONCILE = "reconcile"


def scheduled(context: JobContext) -> int:
    summary = reconcile(context.engine, context.provider, context.settings, trigger="schedule")
    return summary.tally.findings


def requested(context: JobContext, payload: dict[str, Any]) -> None:
    reconcile(context.engine, context.provider, context.settings, trigger=str(payload.get("requested_by", "api")))
