"""Payment attempts: one row per attempt to take money for an order, with the provider's ids and statuses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import orders, payment_attempts
from checkout_engine.ids import new_id
from checkout_engine.payments.model import PaymentStatus, ProviderPayment, provider_idempotency_key

A = payment_attempts
CREATING = "creating"  # our row exists, the provider's intent may or may not yet
CANCELED = PaymentStatus.CANCELED.value
ENDED = frozenset({PaymentStatus.SUCCEEDED.value, CANCELED})  # the intent can take no more money
_P = PaymentStatus
# A payment's status only moves forward in its lifecycle: the statuses each one may still become. A stale read
# (worker A read ``processing``, worker B already recorded ``succeeded``) is refused instead of written back.
# Declines, 3-D Secure and delayed methods go back and forth among the undecided ones; succeeded and canceled end.
MAY_BECOME: dict[str, frozenset[str]] = {
    CREATING: frozenset(s.value for s in PaymentStatus) | {CREATING},
    _P.PENDING: frozenset(s.value for s in PaymentStatus),
    _P.REQUIRES_ACTION: frozenset(s.value for s in PaymentStatus) - {_P.PENDING},
    _P.FAILED: frozenset(s.value for s in PaymentStatus) - {_P.PENDING},
    _P.PROCESSING: frozenset({_P.PROCESSING, _P.AUTHORIZED, _P.SUCCEEDED, _P.FAILED, _P.CANCELED}),
    _P.AUTHORIZED: frozenset({_P.AUTHORIZED, _P.SUCCEEDED, _P.CANCELED}),
    _P.SUCCEEDED: frozenset({_P.SUCCEEDED}),
    _P.CANCELED: frozenset({_P.CANCELED}),
}


def may_become(current: str, new: str) -> bool:
    return new in MAY_BECOME[current]


def _may_precede(new: str) -> list[str]:
    return sorted(current for current, nexts in MAY_BECOME.items() if new in nexts)


@dataclass(frozen=True, slots=True)
class PaymentAttempt:
    id: str
    order_id: str
    provider: str
    provider_payment_id: str | None
    amount: int
    currency: str
    status: str
    raw_status: str | None
    amount_received: int
    idempotency_key: str
    metadata_hash: str
    client_secret: str | None
    created_at: datetime

    def metadata(self) -> dict[str, str]:
        return {"order_id": self.order_id, "payment_attempt_id": self.id}


def metadata_hash(metadata: dict[str, str]) -> str:
    """Detects drift between what we sent the provider and what it later reports."""
    return hashlib.sha256(json.dumps(metadata, sort_keys=True).encode()).hexdigest()


def create(conn: sa.Connection, *, order_id: str, provider: str, amount: int, currency: str) -> PaymentAttempt:
    attempt_id = new_id("pat")
    now = utcnow()
    values = {
        "id": attempt_id,
        "order_id": order_id,
        "provider": provider,
        "amount": amount,
        "currency": currency,
        "status": CREATING,
        "idempotency_key": provider_idempotency_key("create_intent", attempt_id),
        "metadata_hash": metadata_hash({"order_id": order_id, "payment_attempt_id": attempt_id}),
        "created_at": now,
        "updated_at": now,
    }
    row = conn.execute(A.insert().returning(*A.c), values).mappings().one()
    return _attempt(row)


def _attempt(row: sa.RowMapping) -> PaymentAttempt:
    return PaymentAttempt(
        id=row["id"],
        order_id=row["order_id"],
        provider=row["provider"],
        provider_payment_id=row["provider_payment_id"],
        amount=row["amount"],
        currency=row["currency"],
        status=row["status"],
        raw_status=row["raw_status"],
        amount_received=row["amount_received"],
        idempotency_key=row["idempotency_key"],
        metadata_hash=row["metadata_hash"],
        client_secret=row["client_secret"],
        created_at=row["created_at"],
    )


def get(conn: sa.Connection, attempt_id: str) -> PaymentAttempt | None:
    row = conn.execute(sa.select(A).where(A.c.id == attempt_id)).mappings().first()
    return _attempt(row) if row else None


def for_order(conn: sa.Connection, order_id: str) -> list[PaymentAttempt]:
    rows = conn.execute(sa.select(A).where(A.c.order_id == order_id).order_by(A.c.created_at, A.c.id)).mappings()
    return [_attempt(row) for row in rows]


def by_provider_id(conn: sa.Connection, provider: str, provider_payment_id: str) -> PaymentAttempt | None:
    row = (
        conn.execute(sa.select(A).where(A.c.provider == provider, A.c.provider_payment_id == provider_payment_id))
        .mappings()
        .first()
    )
    return _attempt(row) if row else None


def latest_for_order(conn: sa.Connection, order_id: str) -> PaymentAttempt | None:
    attempts = for_order(conn, order_id)
    return attempts[-1] if attempts else None


def latest_for_orders(conn: sa.Connection, order_ids: list[str]) -> dict[str, PaymentAttempt]:
    """The latest attempt of each of many orders, in one query (orders without one are left out)."""
    rows = conn.execute(
        sa.select(A).where(A.c.order_id.in_(order_ids)).order_by(A.c.order_id, A.c.created_at, A.c.id)
    ).mappings()
    return {row["order_id"]: _attempt(row) for row in rows}  # the last row of each order wins


def still_open(
    conn: sa.Connection,
    *,
    excluding_states: Iterable[str],
    created_before: datetime,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[PaymentAttempt]:
    """Attempts with an intent that can still take money (not succeeded, not canceled), of orders not in
    ``excluding_states``, created before ``created_before``, oldest first from after ``after`` (created, id)."""
    query = (
        sa.select(A)
        .join(orders, orders.c.id == A.c.order_id)
        .where(
            A.c.provider_payment_id.is_not(None),
            A.c.status.not_in(sorted(ENDED)),
            orders.c.state.not_in(sorted(str(state) for state in excluding_states)),
            A.c.created_at < created_before,
        )
        .order_by(A.c.created_at, A.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(sa.tuple_(A.c.created_at, A.c.id) > sa.tuple_(*after))
    return [_attempt(row) for row in conn.execute(query).mappings()]


def created_between(conn: sa.Connection, first: datetime, last: datetime) -> int:
    """How many attempts were created in a time window, both ends included: about what the provider lists there."""
    query = sa.select(sa.func.count()).select_from(A).where(A.c.created_at.between(first, last))
    return int(conn.execute(query).scalar_one())


def record_provider_state(
    conn: sa.Connection, attempt: PaymentAttempt, payment: ProviderPayment, *, expected_status: str | None = None
) -> PaymentAttempt | None:
    """Store what the provider says, unless the attempt already moved past it (see ``MAY_BECOME``); with
    ``expected_status``, only if nobody changed the attempt meanwhile. None when nothing was written."""
    guard = sa.and_(A.c.id == attempt.id, A.c.status.in_(_may_precede(payment.status.value)))
    if expected_status is not None:
        guard = sa.and_(guard, A.c.status == expected_status)
    written = (
        conn.execute(
            A.update()
            .where(guard)
            .values(
                provider_payment_id=payment.id,
                status=payment.status.value,
                raw_status=payment.raw_status,
                amount_received=payment.amount_received,
                client_secret=payment.client_secret or attempt.client_secret,
                last_error_code=payment.error_code,
                updated_at=utcnow(),
            )
            .returning(*A.c)
        )
        .mappings()
        .first()
    )
    return _attempt(written) if written else None


def mark(
    conn: sa.Connection, attempt: PaymentAttempt, status: PaymentStatus | str, *, expected: str | None = None
) -> bool:
    """Set our status for the attempt, forward only; with ``expected``, only if it still has that status."""
    guard = sa.and_(A.c.id == attempt.id, A.c.status.in_(_may_precede(str(status))))
    if expected is not None:
        guard = sa.and_(guard, A.c.status == expected)
    written = conn.execute(A.update().where(guard).values(status=str(status), updated_at=utcnow()).returning(A.c.id))
    return written.first() is not None
