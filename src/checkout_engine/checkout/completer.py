"""The completer: finishes checkouts whose client went away between phases, and forgets old keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from checkout_engine.checkout import service
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.idempotency import repository as keys
from checkout_engine.jobs import repository as jobs
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import JobContext
from checkout_engine.payments.model import ProviderUnavailable

COMPLETE_CHECKOUT = "complete_checkout"
SWEEP_BATCH = 500


def enqueue_abandoned(context: JobContext) -> int:
    idle = context.settings.key_lock()
    with UnitOfWork(context.engine) as uow:
        key_ids = keys.abandoned(uow.connection, idle_for=idle, limit=SWEEP_BATCH)
        queued = sum(
            jobs.enqueue(
                uow.connection, COMPLETE_CHECKOUT, {"key_id": key_id}, dedupe_key=f"{COMPLETE_CHECKOUT}:{key_id}"
            )
            for key_id in key_ids
        )
        uow.commit()
    return queued


def complete_checkout(context: JobContext, payload: dict[str, Any]) -> None:
    try:
        service.complete_abandoned(context.engine, context.provider, context.settings, int(payload["key_id"]))
    except ProviderUnavailable as error:
        raise RetryLater(error.message) from error


def reap_keys(context: JobContext) -> int:
    cutoff = utcnow() - timedelta(hours=context.settings.idempotency_retention_hours)
    with UnitOfWork(context.engine) as uow:
        removed = keys.reap(uow.connection, older_than=cutoff)
        uow.commit()
    return removed
