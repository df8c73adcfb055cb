"""SQL for approval requests. A decision is a guarded update from ``pending``: of two deciders, one wins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.approvals.model import Action, ApprovalRequest, ApprovalStatus
from checkout_engine.db.tables import approval_requests
from checkout_engine.ids import new_id

A = approval_requests
ID_PREFIX = "apr"


def as_request(row: sa.RowMapping) -> ApprovalRequest:
    return ApprovalRequest(
        id=row["id"],
        action=Action(row["action"]),
        order_id=row["order_id"],
        params=dict(row["params"]),
        amount=row["amount"],
        currency=row["currency"],
        reason=row["reason"],
        requested_by=row["requested_by"],
        requested_role=row["requested_role"],
        status=ApprovalStatus(row["status"]),
        expires_at=row["expires_at"],
        created_at=row["created_at"],
        decided_by=row["decided_by"],
        decided_role=row["decided_role"],
        decision_reason=row["decision_reason"],
        decided_at=row["decided_at"],
        outcome=dict(row["outcome"]) if row["outcome"] is not None else None,
    )


def insert(
    conn: sa.Connection,
    *,
    action: Action,
    order_id: str,
    params: dict[str, Any],
    amount: int | None,
    currency: str,
    reason: str,
    requested_by: str,
    requested_role: str,
    now: datetime,
    expires_at: datetime,
) -> ApprovalRequest:
    row = (
        conn.execute(
            A.insert()
            .values(
                id=new_id(ID_PREFIX),
                action=action.value,
                order_id=order_id,
                params=params,
                amount=amount,
                currency=currency,
                reason=reason,
                requested_by=requested_by,
                requested_role=requested_role,
                status=ApprovalStatus.PENDING.value,
                expires_at=expires_at,
                created_at=now,
            )
            .returning(*A.c)
        )
        .mappings()
        .one()
    )
    return as_request(row)


def get(conn: sa.Connection, approval_id: str, *, for_update: bool = False) -> ApprovalRequest | None:
    query = sa.select(A).where(A.c.id == approval_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return as_request(row) if row else None


def waiting(now: datetime) -> sa.ColumnElement[bool]:
    """Pending and still in time: what a second person may decide now."""
    return sa.and_(A.c.status == ApprovalStatus.PENDING.value, A.c.expires_at > now)


def lapsed(now: datetime) -> sa.ColumnElement[bool]:
    """Pending past its time: expired, whether or not the sweep has closed it yet."""
    return sa.and_(A.c.status == ApprovalStatus.PENDING.value, A.c.expires_at <= now)


def pending_for(conn: sa.Connection, order_id: str, action: Action, *, now: datetime) -> ApprovalRequest | None:
    query = sa.select(A).where(A.c.order_id == order_id, A.c.action == action.value, waiting(now))
    row = conn.execute(query).mappings().first()
    return as_request(row) if row else None


def decide(
    conn: sa.Connection,
    request: ApprovalRequest,
    *,
    status: ApprovalStatus,
    by: tuple[str, str],
    reason: str,
    now: datetime,
    outcome: dict[str, Any] | None = None,
) -> ApprovalRequest | None:
    """Close a pending request; None when it was no longer pending (someone else decided first)."""
    decided_by, decided_role = by
    row = (
        conn.execute(
            A.update()
            .where(A.c.id == request.id, A.c.status == ApprovalStatus.PENDING.value)
            .values(
                status=status.value,
                decided_by=decided_by,
                decided_role=decided_role,
                decision_reason=reason,
                decided_at=now,
                outcome=outcome,
            )
            .returning(*A.c)
        )
        .mappings()
        .first()
    )
    return as_request(row) if row else None


def expire_due(conn: sa.Connection, *, now: datetime, limit: int) -> list[ApprovalRequest]:
    """Close up to ``limit`` pending requests whose time is up, each once (rows another sweep holds are skipped)."""
    due = sa.select(A.c.id).where(lapsed(now)).order_by(A.c.expires_at).limit(limit).with_for_update(skip_locked=True)
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    rows = conn.execute(
        A.update()
        .where(A.c.id.in_(ids), A.c.status == ApprovalStatus.PENDING.value)
        .values(status=ApprovalStatus.EXPIRED.value, decided_at=now, decision_reason="no decision in time")
        .returning(*A.c)
    ).mappings()
    return [as_request(row) for row in rows]


def for_order(conn: sa.Connection, order_id: str) -> list[ApprovalRequest]:
    query = sa.select(A).where(A.c.order_id == order_id).order_by(A.c.created_at.desc(), A.c.id.desc())
    return [as_request(row) for row in conn.execute(query).mappings()]


def counts_by_status(conn: sa.Connection, *, now: datetime) -> dict[str, int]:
    status = sa.case((lapsed(now), ApprovalStatus.EXPIRED.value), else_=A.c.status)
    rows = conn.execute(sa.select(status, sa.func.count()).group_by(status))
    counts = {status.value: 0 for status in ApprovalStatus}
    counts.update({row[0]: int(row[1]) for row in rows})
    return counts


def oldest_pending(conn: sa.Connection, *, now: datetime) -> datetime | None:
    query = sa.select(sa.func.min(A.c.created_at)).where(waiting(now))
    value: datetime | None = conn.execute(query).scalar()
    return value


def pending_queue(conn: sa.Connection, *, now: datetime, limit: int) -> list[ApprovalRequest]:
    """The waiting requests, oldest first: the order a second person works through them."""
    query = sa.select(A).where(waiting(now)).order_by(A.c.created_at, A.c.id).limit(limit)
    return [as_request(row) for row in conn.execute(query).mappings()]


def recently_decided(conn: sa.Connection, *, limit: int) -> list[ApprovalRequest]:
    query = (
        sa.select(A)
        .where(A.c.status != ApprovalStatus.PENDING.value)
        .order_by(A.c.decided_at.desc(), A.c.id.desc())
        .limit(limit)
    )
    return [as_request(row) for row in conn.execute(query).mappings()]
