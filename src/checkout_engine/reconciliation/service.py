"""Running reconciliation: the checks in order, each item settled in its own transaction, the run recorded.

Safe beside the worker and beside another run: repairs go through the same compare-and-set transitions and
idempotent ingestion as webhooks, and an open finding is stored once per kind and subject. Incremental: each run
looks at provider records since the last successful run's cursor (less an overlap for clock skew)."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.reconciliation import repository
from checkout_engine.reconciliation.checks import (
    fulfillment_safety,
    pending_payments,
    provider_payments,
    refunds,
    self_check,
    webhook_gap,
)
from checkout_engine.reconciliation.model import Tally
from checkout_engine.reconciliation.run import Run
from checkout_engine.settings import Settings

log = structlog.get_logger(__name__)

CHECKS: tuple[tuple[str, Callable[[Run], None]], ...] = (
    ("webhook gap", webhook_gap.check),  # first: a filled gap may settle what the later checks would repair
    ("pending payments", pending_payments.check),
    ("provider payments", provider_payments.check),
    ("refunds", refunds.check),
    ("fulfilment safety", fulfillment_safety.check),
    ("self-check", self_check.check),  # last: what the repairs above left is what a person must see
)
OVERLAP = timedelta(minutes=5)
FIRST_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Summary:
    run_id: int
    tally: Tally
    error: str | None


def default_since(engine: Engine) -> datetime:
    with engine.connect() as conn:
        cursor = repository.last_cursor(conn)
    return cursor - OVERLAP if cursor else utcnow() - FIRST_LOOKBACK


def reconcile(
    engine: Engine,
    provider: PaymentProvider,
    settings: Settings,
    *,
    trigger: str,
    since: datetime | None = None,
    on_check: Callable[[str], Any] | None = None,
) -> Summary:
    started = utcnow()
    since = since or default_since(engine)
    with UnitOfWork(engine) as uow:
        run_id = repository.start(uow.connection, trigger=trigger, since=since)
        uow.commit()
    run = Run(engine, settings, provider, run_id, since)
    error = None
    for name, check in CHECKS:
        if on_check:
            on_check(name)
        try:
            check(run)
        except Exception as failure:  # a check that fails is recorded; the others still run
            run.tally.errors += 1
            error = f"{name}: {type(failure).__name__}: {failure}"
            log.warning(
                "reconciliation_check_failed",
                check=name,
                error=type(failure).__name__,
                detail=traceback.format_exc(limit=3),
            )
    with UnitOfWork(engine) as uow:
        repository.finish(uow.connection, run_id, run.tally, cursor=None if error else started, error=error)
        uow.commit()
    return Summary(run_id, run.tally, error)
