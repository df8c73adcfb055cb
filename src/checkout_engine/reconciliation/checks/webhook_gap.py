"""Webhook gap detection: every provider event since the last run must be stored here; missing ones are fetched
and ingested (then processed as usual) and counted."""

from __future__ import annotations

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.payments.model import ProviderEvent
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.run import Run
from checkout_engine.webhooks import repository as stored_events
from checkout_engine.webhooks.ingest import ingest

NAME = "provider_events"
BATCH = 100


def check(run: Run) -> None:
    batch: list[ProviderEvent] = []
    for event in run.provider.iter_events(created_after=run.since_unix):
        batch.append(event)
        if len(batch) == BATCH:
            _fill(run, batch)
            batch = []
    if batch:
        _fill(run, batch)


def _fill(run: Run, events: list[ProviderEvent]) -> None:
    run.tally.saw(NAME, len(events))
    with UnitOfWork(run.engine) as uow:
        known = stored_events.known_ids(uow.connection, "stripe", [event.id for event in events])
        filled = [ingest(uow, provider="stripe", event=event) for event in events if event.id not in known]
        uow.commit()
    for stored in filled:
        if stored.delivery_count == 1:  # another run may have filled the same gap a moment ago
            run.report(
                Finding(Kind.WEBHOOK_GAP, stored.event_id, Action.INGESTED, None, provider_says={"type": stored.type})
            )
