"""Incident 0001 — 2026-11-25, fixed in 87ce3e5.

Symptom: under the webhook ingest benchmark, enqueuing jobs started failing after a handful of deliveries on one
connection with `there is no unique or exclusion constraint matching the ON CONFLICT specification`; webhooks
were refused with 500s and their processing jobs never written.

Root cause: the job outbox deduplicates with `INSERT … ON CONFLICT (dedupe_key) WHERE status IN (…) DO NOTHING`
against a partial unique index. The predicate was built with bound parameters. After five executions psycopg
prepares the statement on the server; the generic plan no longer sees literal values, so PostgreSQL cannot match
the predicate to the partial index.

Fix: the predicate is written literally (`jobs.repository.LIVE_DEDUPE`), so it matches the index however the
statement is executed.

What must hold: on one connection, well past the driver's prepare threshold, a deduplicated enqueue keeps
inserting new keys and keeps refusing a key that is already queued, without an error."""

import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.db.tables import jobs
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs import repository

ENQUEUES = 20  # psycopg prepares a statement on its fifth execution: well past it


def test_deduplicated_enqueues_keep_working_once_the_driver_prepares_the_statement(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        for n in range(ENQUEUES):
            assert repository.enqueue(uow.connection, "note", {"n": n}, dedupe_key=f"note:{n}")
            assert not repository.enqueue(uow.connection, "note", {"n": n}, dedupe_key=f"note:{n}")
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(jobs)).scalar() == ENQUEUES
