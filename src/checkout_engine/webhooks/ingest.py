"""Ingestion: a verified event is stored (or its delivery counted) and its processing job written, in one
transaction. No business logic runs here, so the provider gets its 200 fast."""

from __future__ import annotations

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs import repository as jobs
from checkout_engine.payments.model import ProviderEvent
from checkout_engine.webhooks import repository
from checkout_engine.webhooks.kinds import acts_on, no_action_reason
from checkout_engine.webhooks.repository import StoredEvent

PROCESS_WEBHOOK = "process_webhook"
UNFINISHED = frozenset({"received", "failed"})  # not processed, ignored, or held for the order to be paid


def enqueue_processing(uow: UnitOfWork, stored: StoredEvent) -> bool:
    """Queue the event's processing; False when a job for it is already queued or running."""
    return jobs.enqueue(
        uow.connection, PROCESS_WEBHOOK, {"webhook_event_id": stored.id}, dedupe_key=f"{PROCESS_WEBHOOK}:{stored.id}"
    )


def ingest(uow: UnitOfWork, *, provider: str, event: ProviderEvent) -> StoredEvent:
    """Store the event; queue its processing only when its type is one the engine acts on (the others are kept,
    and shown on the order's timeline, as ignored: no job, no provider read)."""
    stored = repository.upsert(
        uow.connection,
        provider=provider,
        event_id=event.id,
        type_=event.type,
        object_id=event.object_id,
        payload=event.data,
        ignored_because=None if acts_on(event.type) else no_action_reason(event.type),
    )
    # The first delivery queues it, and so does a redelivery of an event not yet done: its job may have died (a live
    # one is reused). An ignored event is done from the start.
    if stored.status in UNFINISHED:
        enqueue_processing(uow, stored)
    return stored
