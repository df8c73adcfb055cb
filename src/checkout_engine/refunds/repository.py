"""SQL for refund records, and for the payment a refund of the order's own money goes against."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import order_events, refunds, webhook_events
from checkout_engine.ids import new_id
from checkout_engine.orders.model import OrderState

R = refunds
OPEN_OR_DONE = ("requested", "pending", "succeeded")  # every status that counts against what can be refunded
OPEN = ("requested", "pending")
# The provider's word on a refund only moves forward: a decided refund is never made pending again by a stale read
# or a replayed answer (a succeeded one may still fail later, as banks return refunds).
MAY_FOLLOW = {"succeeded": ("succeeded", "failed"), "failed": ("failed",), "canceled": ("canceled",)}


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    order_id: str
    payment_attempt_id: str
    amount: int
    currency: str
    status: str
    provider_refund_id: str | None
    reason: str
    requested_by: str
    lines: list[dict[str, Any]] | None = None  # by line: [{sku, quantity, amount}]
    shipping_amount: int | None = None
    approval_id: str | None = None


def _refund(row: sa.RowMapping) -> Refund:
    return Refund(
        row["id"],
        row["order_id"],
        row["payment_attempt_id"],
        row["amount"],
        row["currency"],
        row["status"],
        row["provider_refund_id"],
        row["reason"],
        row["requested_by"],
        list(row["lines"]) if row["lines"] is not None else None,
        row["shipping_amount"],
        row["approval_id"],
    )


def insert(
    conn: sa.Connection,
    *,
    order_id: str,
    attempt_id: str,
    amount: int,
    currency: str,
    reason: str,
    requested_by: str,
    status: str = "requested",
    provider_refund_id: str | None = None,
    refund_id: str | None = None,
    lines: list[dict[str, Any]] | None = None,
    shipping_amount: int | None = None,
    approval_id: str | None = None,
) -> Refund:
    now = utcnow()
    refund_id = refund_id or new_id("rf")
    conn.execute(
        R.insert(),
        dict(
            id=refund_id,
            order_id=order_id,
            payment_attempt_id=attempt_id,
            amount=amount,
            currency=currency,
            status=status,
            provider_refund_id=provider_refund_id,
            reason=reason,
            requested_by=requested_by,
            lines=lines,
            shipping_amount=shipping_amount,
            approval_id=approval_id,
            created_at=now,
            updated_at=now,
        ),
    )
    refund = get(conn, refund_id)
    assert refund is not None
    return refund


def get(conn: sa.Connection, refund_id: str) -> Refund | None:
    row = conn.execute(sa.select(R).where(R.c.id == refund_id)).mappings().first()
    return _refund(row) if row else None


def by_provider_id(conn: sa.Connection, provider_refund_id: str) -> Refund | None:
    row = conn.execute(sa.select(R).where(R.c.provider_refund_id == provider_refund_id)).mappings().first()
    return _refund(row) if row else None


def for_order(conn: sa.Connection, order_id: str) -> list[Refund]:
    rows = conn.execute(sa.select(R).where(R.c.order_id == order_id).order_by(R.c.created_at, R.c.id)).mappings()
    return [_refund(row) for row in rows]


def by_staff_since(conn: sa.Connection, name: str, currency: str, *, since: datetime) -> int:
    """What ``name`` refunded on their own authority (no second person approved it) in ``currency`` since then,
    counting every refund requested, pending or done."""
    query = sa.select(sa.func.coalesce(sa.func.sum(R.c.amount), 0)).where(
        R.c.requested_by == name,
        R.c.currency == currency,
        R.c.approval_id.is_(None),
        R.c.status.in_(OPEN_OR_DONE),
        R.c.created_at >= since,
    )
    return int(conn.execute(query).scalar_one())


def committed_amount(conn: sa.Connection, attempt_id: str) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(R.c.amount), 0)).where(
        R.c.payment_attempt_id == attempt_id, R.c.status.in_(OPEN_OR_DONE)
    )
    return int(conn.execute(query).scalar_one())


def update(
    conn: sa.Connection, refund: Refund, *, status: str, provider_refund_id: str | None = None, error: str | None = None
) -> bool:
    """Write the refund's status unless that would move a decided refund back (see ``MAY_FOLLOW``). True when this
    call moved it to ``status`` (of two callers at once, one), False when it was there already or may not move."""
    values: dict[str, object] = {"status": status, "updated_at": utcnow(), "last_error": error}
    if provider_refund_id is not None:
        values["provider_refund_id"] = provider_refund_id
    behind = [before for before, nexts in MAY_FOLLOW.items() if status not in nexts]
    moved = conn.execute(
        R.update()
        .where(R.c.id == refund.id, R.c.status.not_in(behind), R.c.status != status)
        .values(**values)
        .returning(R.c.id)
    ).first()
    if moved is None:  # the same status again: its provider id and error are still refreshed
        conn.execute(R.update().where(R.c.id == refund.id, R.c.status == status).values(**values))
    return moved is not None


def paid_with(conn: sa.Connection, order_id: str, *, providers: Collection[str]) -> str | None:
    """The provider payment id behind the order's paid transition: its reference is a provider event about that
    payment (webhook, reconciliation) or the payment's own id (capture, reconciliation without events)."""
    E, W = order_events, webhook_events
    # The providers make the lookup use the unique (provider, event_id) index.
    event = sa.and_(W.c.provider.in_(providers), W.c.event_id == E.c.provider_event_id)
    query = (
        sa.select(sa.func.coalesce(W.c.object_id, E.c.provider_event_id))
        .select_from(E.outerjoin(W, event))
        .where(E.c.order_id == order_id, E.c.to_state == OrderState.PAID.value)
        .order_by(E.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar()
