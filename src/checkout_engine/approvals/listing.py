"""The approval requests list of the admin API: newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.admin.queries import Page, created_key, encode_cursor, page_of
from checkout_engine.approvals.model import ApprovalRequest, ApprovalStatus
from checkout_engine.approvals.repository import A, as_request


def list_page(
    conn: sa.Connection,
    *,
    status: ApprovalStatus | None,
    order_id: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    view: Callable[[ApprovalRequest], dict[str, Any]],
) -> Page:
    """Newest first by (created_at, id), like the order list. A request past its time counts as expired before the
    sweep has closed it."""
    query = sa.select(A)
    lapsed = sa.and_(A.c.status == ApprovalStatus.PENDING.value, A.c.expires_at <= now)
    if status is ApprovalStatus.PENDING:
        query = query.where(A.c.status == status.value, A.c.expires_at > now)
    elif status is ApprovalStatus.EXPIRED:
        query = query.where(sa.or_(A.c.status == status.value, lapsed))
    elif status is not None:
        query = query.where(A.c.status == status.value)
    if order_id is not None:
        query = query.where(A.c.order_id == order_id)
    if cursor is not None:
        created_at, last_id = created_key("approvals", cursor)
        query = query.where(
            sa.or_(A.c.created_at < created_at, sa.and_(A.c.created_at == created_at, A.c.id < last_id))
        )
    rows = conn.execute(query.order_by(A.c.created_at.desc(), A.c.id.desc()).limit(limit + 1)).mappings().all()
    return page_of(
        rows,
        limit,
        lambda row: view(as_request(row)),
        lambda row: encode_cursor("approvals", [row["created_at"].isoformat(), row["id"]]),
    )
