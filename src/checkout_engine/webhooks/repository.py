"""SQL for stored webhook events: the deduplicating upsert and the processing outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import payment_attempts, webhook_events
from checkout_engine.db.upsert import prebuilt
from checkout_engine.webhooks import subject

W = webhook_events
A = payment_attempts


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    provider: str
    event_id: str
    type: str
    payload: dict[str, Any]
    delivery_count: int
    status: str


def _stored(row: sa.RowMapping) -> StoredEvent:
    return StoredEvent(
        row["id"],
        row["provider"],
        row["event_id"],
        row["type"],
        dict(row["payload"]),
        row["delivery_count"],
        row["status"],
    )


def _deduplicating(insert: postgresql.Insert | sqlite.Insert) -> ReturningInsert[Any]:
    """The first delivery inserts, every later one only counts (deduplicated by the provider's event id)."""
    return insert.on_conflict_do_update(
        index_elements=["provider", "event_id"],
        set_={"delivery_count": W.c.delivery_count + 1, "last_received_at": insert.excluded.last_received_at},
    ).returning(*W.c)


def _order_of_payment() -> sa.ColumnElement[Any]:
    """The order of the event's payment, as processing would find it (subject.find_attempt), inside the insert."""
    by_payment = sa.select(A.c.order_id).where(
        A.c.provider == sa.bindparam("subject_provider"), A.c.provider_payment_id == sa.bindparam("subject_payment")
    )
    by_attempt = sa.select(A.c.order_id).where(A.c.id == sa.bindparam("subject_attempt"))
    return sa.func.coalesce(by_payment.scalar_subquery(), by_attempt.scalar_subquery())


_UPSERT = prebuilt(W, _deduplicating)
# An ignored event is never processed, so it learns its order as it is stored (for the timeline): one statement.
_UPSERT_IGNORED = prebuilt(W, lambda insert: _deduplicating(insert.values(order_id=_order_of_payment())))


def upsert(
    conn: sa.Connection,
    *,
    provider: str,
    event_id: str,
    type_: str,
    object_id: str | None,
    payload: dict[str, Any],
    ignored_because: str | None = None,
) -> StoredEvent:
    """Store a delivery: the first one inserts, every later one only counts (deduplicated by event id). An event
    ``ignored_because`` of its type is stored already done, with that reason and the order of its payment."""
    now = utcnow()
    row = {
        "provider": provider,
        "event_id": event_id,
        "type": type_,
        "object_id": object_id,
        "payload": payload,
        "received_at": now,
        "last_received_at": now,
        "delivery_count": 1,
        "status": "received" if ignored_because is None else "ignored",
        "status_reason": ignored_because,
        "processed_at": None if ignored_because is None else now,
    }
    if ignored_because is None:
        return _stored(conn.execute(_UPSERT(conn), row).mappings().one())
    subject_of = {
        "subject_provider": provider,
        "subject_payment": subject.payment_id(payload),
        "subject_attempt": subject.attempt_id(payload),
    }
    return _stored(conn.execute(_UPSERT_IGNORED(conn), {**row, **subject_of}).mappings().one())


def get(conn: sa.Connection, event_row_id: int) -> StoredEvent | None:
    row = conn.execute(sa.select(W).where(W.c.id == event_row_id)).mappings().first()
    return _stored(row) if row else None


def known_ids(conn: sa.Connection, provider: str, event_ids: list[str]) -> set[str]:
    rows = conn.execute(sa.select(W.c.event_id).where(W.c.provider == provider, W.c.event_id.in_(event_ids)))
    return {row[0] for row in rows}


def record_outcome(
    conn: sa.Connection,
    event_row_id: int,
    *,
    status: str,
    reason: str | None = None,
    order_id: str | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "status_reason": reason, "last_error": error}
    if order_id is not None:
        values["order_id"] = order_id
    if status in ("processed", "ignored"):
        values["processed_at"] = utcnow()
    conn.execute(W.update().where(W.c.id == event_row_id).values(**values))


def held_for_order(conn: sa.Connection, order_id: str) -> list[int]:
    rows = conn.execute(sa.select(W.c.id).where(W.c.order_id == order_id, W.c.status == "held").order_by(W.c.id))
    return [row[0] for row in rows]
