"""SQL for jobs: enqueue inside the caller's transaction, claim under a lease, finish, retry or bury."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import jobs
from checkout_engine.db.upsert import prebuilt
from checkout_engine.jobs.model import Job, JobStatus
from checkout_engine.observability import tracing

DEFAULT_MAX_ATTEMPTS = 8
# The partial unique index's predicate, as a literal: PostgreSQL can only match ON CONFLICT to a partial index
# when the predicate carries no bound parameters (a prepared statement's generic plan would fail otherwise).
LIVE_DEDUPE = sa.text("status IN ('queued', 'running')")


def _skipping_live_duplicates(insert: postgresql.Insert | sqlite.Insert) -> ReturningInsert[Any]:
    """Skipped (no row returned) while an equal job is queued or running."""
    return insert.on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=LIVE_DEDUPE).returning(jobs.c.id)


_ENQUEUE_DEDUPED = prebuilt(jobs, _skipping_live_duplicates)


def enqueue(
    conn: sa.Connection,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> bool:
    """Add a job in the caller's transaction. With a ``dedupe_key`` it is skipped (False) while an equal job is
    queued or running."""
    now = utcnow()
    parent = tracing.traceparent()  # None while tracing is off
    if parent is not None and tracing.TRACEPARENT not in payload:
        payload = {**payload, tracing.TRACEPARENT: parent}  # the job continues the trace that queued it
    values = {
        "kind": kind,
        "payload": payload,
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_at": run_at or now,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }
    if dedupe_key is None:
        conn.execute(jobs.insert(), values)
        return True
    return conn.execute(_ENQUEUE_DEDUPED(conn), values).first() is not None


def _job(row: sa.RowMapping) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=dict(row["payload"]),
        status=JobStatus(row["status"]),
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        run_at=row["run_at"],
        lease_owner=row["lease_owner"],
        last_error=row["last_error"],
    )


def claim(conn: sa.Connection, *, owner: str, lease: timedelta, kinds: Iterable[str]) -> Job | None:
    """Take one due job of the ``kinds`` this worker can run, under a lease: a queued job whose time has come,
    or a running one whose worker's lease ran out (it died). One statement; on PostgreSQL
    ``FOR UPDATE SKIP LOCKED`` lets workers claim side by side. (A worker of an older release leaves kinds it
    does not know to the workers that do.)"""
    now = utcnow()
    due = sa.or_(
        sa.and_(jobs.c.status == JobStatus.QUEUED.value, jobs.c.run_at <= now),
        sa.and_(
            jobs.c.status == JobStatus.RUNNING.value,
            jobs.c.lease_expires_at < now,
            jobs.c.attempts < jobs.c.max_attempts,
        ),
    )
    candidate = (
        sa.select(jobs.c.id)
        .where(due, jobs.c.kind.in_(sorted(kinds)))
        .order_by(jobs.c.run_at, jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = (
        conn.execute(
            jobs.update()
            .where(jobs.c.id == candidate.scalar_subquery())
            .values(
                status=JobStatus.RUNNING.value,
                attempts=jobs.c.attempts + 1,
                lease_owner=owner,
                lease_expires_at=now + lease,
                updated_at=now,
            )
            .returning(*jobs.c)
        )
        .mappings()
        .first()
    )
    return _job(row) if row else None


def _settle(conn: sa.Connection, job: Job, owner: str, **values: Any) -> bool:
    """Write the outcome only if we still hold the lease; a worker that lost it must not overwrite the winner."""
    result = conn.execute(
        jobs.update()
        .where(jobs.c.id == job.id, jobs.c.lease_owner == owner, jobs.c.status == JobStatus.RUNNING.value)
        .values(**values, updated_at=utcnow())
        .returning(jobs.c.id)
    )
    return result.first() is not None


def extend_lease(conn: sa.Connection, job_id: int, *, owner: str, lease: timedelta) -> bool:
    """The job's worker is alive and still on it: its lease runs from now. False once another worker took it."""
    result = conn.execute(
        jobs.update()
        .where(jobs.c.id == job_id, jobs.c.lease_owner == owner, jobs.c.status == JobStatus.RUNNING.value)
        .values(lease_expires_at=utcnow() + lease)
        .returning(jobs.c.id)
    )
    return result.first() is not None


def complete(conn: sa.Connection, job: Job, *, owner: str) -> bool:
    now = utcnow()
    return _settle(
        conn, job, owner, status=JobStatus.DONE.value, finished_at=now, lease_expires_at=None, last_error=None
    )


def retry_or_bury(conn: sa.Connection, job: Job, *, owner: str, error: str, delay: timedelta) -> JobStatus:
    """Queue the job again after ``delay``, or park it as ``dead`` once it has used all its attempts."""
    if job.attempts >= job.max_attempts:
        _settle(
            conn,
            job,
            owner,
            status=JobStatus.DEAD.value,
            last_error=error[:4000],
            finished_at=utcnow(),
            lease_expires_at=None,
        )
        return JobStatus.DEAD
    _settle(
        conn,
        job,
        owner,
        status=JobStatus.QUEUED.value,
        last_error=error[:4000],
        run_at=utcnow() + delay,
        lease_expires_at=None,
        lease_owner=None,
    )
    return JobStatus.QUEUED


def bury_exhausted(conn: sa.Connection) -> int:
    """Jobs whose workers died on their last attempt: their lease ran out with no attempt left."""
    now = utcnow()
    result = conn.execute(
        jobs.update()
        .where(
            jobs.c.status == JobStatus.RUNNING.value,
            jobs.c.lease_expires_at < now,
            jobs.c.attempts >= jobs.c.max_attempts,
        )
        .values(
            status=JobStatus.DEAD.value, last_error="lease expired on the last attempt", finished_at=now, updated_at=now
        )
        .returning(jobs.c.id)
    )
    return len(result.all())


def get(conn: sa.Connection, job_id: int) -> Job | None:
    row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).mappings().first()
    return _job(row) if row else None
