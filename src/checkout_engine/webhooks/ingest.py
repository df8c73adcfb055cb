"""Ingestion: a verified event is stored (or its delivery counted) and its processing job written, in one
transaction. No business logic runs here, so the provider gets its 200 fast."""

from __future__ import annotations

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs import repository as jobs
from checkout_engine.payments.model import ProviderEvent
from checkout_engine.webhooks import repository
from checkout_engine.webhooks.repository import StoredEvent

PROCESS_WEBHOOK = "process_webhook"


def enqueue_processing(uow: UnitOfWork, stored: StoredEvent) -> None:
    jobs.enqueue(
        uow.connection, PROCESS_WEBHOOK, {"webhook_event_id": stored.id}, dedupe_key=f"{PROCESS_WEBHOOK}:{stored.id}"
    )


def ingest(uow: UnitOfWork, *, provider: str, event: ProviderEvent) -> StoredEvent:
    stored = repository.upsert(
        uow.connection,
        provider=provider,
        event_id=event.id,
        type_=event.type,
        object_id=event.object_id,
        payload=event.data,
    )
    if stored.delivery_count == 1:
        enqueue_processing(uow, stored)
    return stored
