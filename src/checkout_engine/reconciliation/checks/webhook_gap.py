"""Webhook gap detection: every provider event since the last run must be stored here; missing ones are fetched
and ingested (then processed as usual) and counted. A stored event whose processing died before it was done (its
job dead after a long outage) is queued again, whenever it arrived: no provider redelivery is relied on."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import webhook_events
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.payments.model import ProviderEvent
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.run import Run
from checkout_engine.webhooks import repository as stored_events
from checkout_engine.webhooks.ingest import UNFINISHED, enqueue_processing, ingest

NAME = "provider_events"
BATCH = 100
STALL_GRACE = timedelta(minutes=5)  # a fresh event is normally being processed or retried already


def check(run: Run) -> None:
    _stalled(run)
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


def _stalled(run: Run) -> None:
    W = webhook_events
    with UnitOfWork(run.engine) as uow:
        rows = uow.connection.execute(
            sa.select(W.c.id).where(W.c.status.in_(UNFINISHED), W.c.last_received_at < utcnow() - STALL_GRACE)
        ).scalars()
        stalled = [stored for row_id in rows if (stored := stored_events.get(uow.connection, row_id)) is not None]
        queued = [stored for stored in stalled if enqueue_processing(uow, stored)]  # a live job is left alone
        uow.commit()
    for stored in queued:
        run.report(
            Finding(
                Kind.WEBHOOK_STALLED,
                stored.event_id,
                Action.RESUBMITTED,
                believed={"status": stored.status},
                provider_says={"type": stored.type},
            )
        )
