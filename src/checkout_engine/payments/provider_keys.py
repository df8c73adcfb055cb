"""The idempotency keys our calls to the provider are sent with, kept beside the records they act on.

The provider stores the answer to a request that began executing under its key and replays it for a day, refusals
included: a capture refused as too early is refused again under that key after the authorization became
capturable. So a key that met a refusal is spent, and the next try of the operation goes out under the next
generation's key, written here before it is sent. Only a try decided afresh, on a new read of the provider, asks
for a key after a refusal: a blind retry keeps the key it had, and the provider's stored answer with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import provider_keys
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.db.upsert import dialect_insert
from checkout_engine.payments.model import provider_idempotency_key

K = provider_keys
REASON_LENGTH = 255


def key_for(operation: str, record_id: str, generation: int) -> str:
    """The same for every process, so two workers racing to the next generation write one key between them."""
    first = provider_idempotency_key(operation, record_id)
    return first if generation == 1 else f"{first}:{generation}"


def current_key(conn: sa.Connection, operation: str, record_id: str) -> str:
    latest = conn.execute(
        sa.select(K.c.generation, K.c.key, K.c.spent_at)
        .where(K.c.record_id == record_id, K.c.operation == operation)
        .order_by(K.c.generation.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.spent_at is None:
        return str(latest.key)
    generation = 1 if latest is None else int(latest.generation) + 1
    key = key_for(operation, record_id, generation)
    conn.execute(
        dialect_insert(conn, K)
        .values(record_id=record_id, operation=operation, generation=generation, key=key, created_at=utcnow())
        .on_conflict_do_nothing()
    )
    return key


def spend(conn: sa.Connection, key: str, *, because: str) -> None:
    conn.execute(
        sa.update(K)
        .where(K.c.key == key, K.c.spent_at.is_(None))
        .values(spent_at=utcnow(), spent_because=because[:REASON_LENGTH])
    )


def history(conn: sa.Connection, record_ids: list[str]) -> list[dict[str, Any]]:
    """Every key sent for these records, oldest first, for the admin's view of an order."""
    rows = conn.execute(
        sa.select(K).where(K.c.record_id.in_(record_ids)).order_by(K.c.record_id, K.c.operation, K.c.generation)
    )
    return [dict(row._mapping) for row in rows]


@dataclass(frozen=True, slots=True)
class ProviderKeys:
    """The two steps around a provider call, each in a short transaction of its own: never one held open while the
    provider answers."""

    engine: sa.Engine

    def current(self, operation: str, record_id: str) -> str:
        with UnitOfWork(self.engine) as uow:
            key = current_key(uow.connection, operation, record_id)
            uow.commit()
        return key

    def spend(self, key: str, *, because: str) -> None:
        with UnitOfWork(self.engine) as uow:
            spend(uow.connection, key, because=because)
            uow.commit()
