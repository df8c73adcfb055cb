"""Read-only queries the dashboard needs beyond ``admin.queries``: the account behind a session, finding an order
by any id an operator may hold, the stuck orders themselves, and the hourly activity behind the overview's chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from checkout_engine.admin.queries import STUCK_STATES
from checkout_engine.admin.roles import Principal, Role
from checkout_engine.db.tables import orders, payment_attempts, reconciliation_runs, refunds, staff_users

STUCK_SHOWN = 10


def active_staff(conn: sa.Connection, email: str) -> Principal | None:
    """The account as it is now: its current role, and None once it is disabled."""
    row = conn.execute(
        sa.select(staff_users.c.email, staff_users.c.role).where(
            staff_users.c.email == email, staff_users.c.disabled_at.is_(None)
        )
    ).first()
    return Principal(f"user:{row.email}", Role.parse(row.role)) if row else None


def find_order_id(conn: sa.Connection, term: str) -> str | None:
    """The order behind an order id, a payment attempt or provider payment id, or a refund or provider refund id."""
    term = term.strip()
    lookups = (
        sa.select(orders.c.id).where(orders.c.id == term),
        sa.select(payment_attempts.c.order_id).where(
            sa.or_(payment_attempts.c.provider_payment_id == term, payment_attempts.c.id == term)
        ),
        sa.select(refunds.c.order_id).where(sa.or_(refunds.c.provider_refund_id == term, refunds.c.id == term)),
    )
    for lookup in lookups:
        found = conn.execute(lookup.limit(1)).scalar()
        if found is not None:
            return str(found)
    return None


def stuck_orders(conn: sa.Connection, *, now: datetime, older_than: timedelta) -> list[dict[str, Any]]:
    """The orders ``admin.queries.stats`` counts as stuck, longest unchanged first."""
    query = (
        sa.select(orders.c.id, orders.c.state, orders.c.total, orders.c.currency, orders.c.updated_at)
        .where(orders.c.state.in_([s.value for s in STUCK_STATES]), orders.c.updated_at < now - older_than)
        .order_by(orders.c.updated_at)
        .limit(STUCK_SHOWN)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def last_successful_reconciliation(conn: sa.Connection) -> datetime | None:
    query = sa.select(sa.func.max(reconciliation_runs.c.finished_at)).where(reconciliation_runs.c.status == "succeeded")
    found: datetime | None = conn.execute(query).scalar()
    return found


# -- Hourly activity ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hour:
    start: datetime
    checkouts: int
    succeeded: int
    failed: int


def _bucketed(column: sa.Column[Any], starts: list[datetime]) -> sa.ColumnElement[int]:
    """The index of the hour ``column`` falls in. Portable SQL (no date functions differ between backends):
    the latest hour is tested first, so the first match is the right one."""
    return sa.case(*[(column >= start, index) for index, start in reversed(list(enumerate(starts)))], else_=-1)


def _counts(conn: sa.Connection, query: sa.Select[Any]) -> dict[tuple[Any, ...], int]:
    # Grouped outside a subquery: PostgreSQL would not match the CASE's parameters in GROUP BY to its select list.
    inner = query.subquery()
    keys = list(inner.c)
    rows = conn.execute(sa.select(*keys, sa.func.count()).group_by(*keys))
    return {tuple(row[:-1]): int(row[-1]) for row in rows}


def hourly_activity(conn: sa.Connection, *, now: datetime, hours: int) -> list[Hour]:
    """Checkouts (orders created) and payment outcomes (attempts that succeeded or failed, by when they last
    changed) in each of the last ``hours`` whole hours up to now, oldest first."""
    current = now.replace(minute=0, second=0, microsecond=0)
    starts = [current - timedelta(hours=hours - 1 - index) for index in range(hours)]
    created = orders.c.created_at
    checkouts = _counts(conn, sa.select(_bucketed(created, starts).label("hour")).where(created >= starts[0]))
    changed = payment_attempts.c.updated_at
    outcomes = _counts(
        conn,
        sa.select(_bucketed(changed, starts).label("hour"), payment_attempts.c.status).where(
            changed >= starts[0], payment_attempts.c.status.in_(("succeeded", "failed"))
        ),
    )
    return [
        Hour(
            start,
            checkouts.get((index,), 0),
            outcomes.get((index, "succeeded"), 0),
            outcomes.get((index, "failed"), 0),
        )
        for index, start in enumerate(starts)
    ]
