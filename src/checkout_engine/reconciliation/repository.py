"""SQL for reconciliation runs and findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import reconciliation_findings, reconciliation_runs
from checkout_engine.db.upsert import dialect_insert
from checkout_engine.reconciliation.model import Finding, Tally

RUNS = reconciliation_runs
FINDINGS = reconciliation_findings
OPEN_ONLY = sa.text("status = 'open'")  # the partial unique index's predicate, literally (see jobs.LIVE_DEDUPE)


def start(conn: sa.Connection, *, trigger: str, since: datetime) -> int:
    return int(
        conn.execute(
            RUNS.insert()
            .values(
                trigger=trigger,
                status="running",
                since=since,
                checked={},
                findings=0,
                repairs=0,
                errors=0,
                started_at=utcnow(),
            )
            .returning(RUNS.c.id)
        ).scalar_one()
    )


def finish(conn: sa.Connection, run_id: int, tally: Tally, *, cursor: datetime | None, error: str | None) -> None:
    conn.execute(
        RUNS.update()
        .where(RUNS.c.id == run_id)
        .values(
            status="failed" if error else "succeeded",
            checked=tally.checked,
            findings=tally.findings,
            repairs=tally.repairs,
            errors=tally.errors,
            cursor=cursor,
            error=error,
            finished_at=utcnow(),
        )
    )


def last_cursor(conn: sa.Connection) -> datetime | None:
    return conn.execute(
        sa.select(RUNS.c.cursor)
        .where(RUNS.c.status == "succeeded", RUNS.c.cursor.is_not(None))
        .order_by(RUNS.c.cursor.desc())
        .limit(1)
    ).scalar()


def record(conn: sa.Connection, run_id: int, finding: Finding) -> bool:
    """Store a finding; an open one already stored for the same kind and subject is not duplicated (False)."""
    now = utcnow()
    values: dict[str, Any] = {
        "run_id": run_id,
        "kind": finding.kind.value,
        "subject": finding.subject,
        "order_id": finding.order_id,
        "believed": finding.believed,
        "provider_says": finding.provider_says,
        "action": finding.action.value,
        "status": "open" if finding.open else "resolved",
        "created_at": now,
        "note": None if finding.open else f"{finding.action.value} by reconciliation",
        "resolved_at": None if finding.open else now,
        "resolved_by": None if finding.open else "reconciliation",
    }
    statement = (
        dialect_insert(conn, FINDINGS)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "subject"], index_where=OPEN_ONLY)
    )
    return conn.execute(statement.returning(FINDINGS.c.id)).first() is not None


def resolve(conn: sa.Connection, finding_id: int, *, note: str, by: str) -> bool:
    done = conn.execute(
        FINDINGS.update()
        .where(FINDINGS.c.id == finding_id, FINDINGS.c.status == "open")
        .values(status="resolved", note=note, resolved_by=by, resolved_at=utcnow())
        .returning(FINDINGS.c.id)
    ).first()
    return done is not None


def runs(conn: sa.Connection, limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)).mappings()
    return [dict(row) for row in rows]


def findings(conn: sa.Connection, *, status: str | None, order_id: str | None, limit: int) -> list[dict[str, Any]]:
    query = sa.select(FINDINGS).order_by(FINDINGS.c.id.desc()).limit(limit)
    if status:
        query = query.where(FINDINGS.c.status == status)
    if order_id:
        query = query.where(FINDINGS.c.order_id == order_id)
    return [dict(row) for row in conn.execute(query).mappings()]
