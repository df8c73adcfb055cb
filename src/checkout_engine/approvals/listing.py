"""The approval requests list of the admin API: newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.admin.queries import Page, created_page
from checkout_engine.approvals.model import ApprovalRequest, ApprovalStatus
from checkout_engine.approvals.repository import A, as_request, lapsed, waiting


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
    if status is ApprovalStatus.PENDING:
        query = query.where(waiting(now))
    elif status is ApprovalStatus.EXPIRED:
        query = query.where(sa.or_(A.c.status == status.value, lapsed(now)))
    elif status is not None:
        query = query.where(A.c.status == status.value)
    if order_id is not None:
        query = query.where(A.c.order_id == order_id)
    return created_page(
        conn, query, A, kind="approvals", limit=limit, cursor=cursor, view=lambda row: view(as_request(row))
    )
