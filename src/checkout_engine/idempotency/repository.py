"""SQL for idempotency keys: an atomic claim (a unique constraint, never check-then-insert), lock hand-over for
executions that died, and recovery points written in the same transaction as the work they record."""

from __future__ import annotations

import contextlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import idempotency_keys
from checkout_engine.db.upsert import prebuilt
from checkout_engine.idempotency.model import (
    FINISHED,
    STARTED,
    Claimed,
    IdempotencyKeyReused,
    IdempotentRequest,
    KeyRecord,
    LostLock,
    Replay,
    key_in_use,
)
from checkout_engine.observability.metrics import IDEMPOTENCY

K = idempotency_keys


def _record(row: sa.RowMapping) -> KeyRecord:
    return KeyRecord(
        id=row["id"],
        scope=row["scope"],
        key=row["key"],
        request_path=row["request_path"],
        request_params=dict(row["request_params"]),
        recovery_point=row["recovery_point"],
        recovery_data=dict(row["recovery_data"]),
        response_status=row["response_status"],
        response_body=row["response_body"],
        created_at=row["created_at"],
    )


def _new_key_only(insert: postgresql.Insert | sqlite.Insert) -> ReturningInsert[Any]:
    """Inserts the key unless it exists (then no row comes back)."""
    return insert.on_conflict_do_nothing(index_elements=["scope", "key"]).returning(*K.c)


_INSERT_NEW_KEY = prebuilt(K, _new_key_only)


def claim(conn: sa.Connection, request: IdempotentRequest, *, lock_timeout: timedelta) -> Claimed | Replay:
    """Insert the key or find it. Same request finished → Replay; still running → IdempotencyKeyInUse; other
    parameters → IdempotencyKeyReused; unfinished and unlocked (or its lock is stale) → Claimed, to resume."""
    now = utcnow()
    token = secrets.token_hex(16)
    new_key = {
        "scope": request.scope,
        "key": request.key,
        "request_method": request.method,
        "request_path": request.path,
        "request_hash": request.fingerprint,
        "request_params": request.params,
        "recovery_point": STARTED,
        "recovery_data": {},
        "lock_token": token,
        "locked_at": now,
        "created_at": now,
        "last_run_at": now,
    }
    inserted = conn.execute(_INSERT_NEW_KEY(conn), new_key).mappings().first()
    if inserted is not None:
        return Claimed(_record(inserted), token)
    row = (
        conn.execute(sa.select(K).where(K.c.scope == request.scope, K.c.key == request.key).with_for_update())
        .mappings()
        .one()
    )
    if row["request_hash"] != request.fingerprint:
        IDEMPOTENCY.labels(outcome="reused_with_other_parameters").inc()
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with different parameters; use a new key for a new request.",
            details={"key": request.key[:64]},
        )
    if row["response_status"] is not None:
        IDEMPOTENCY.labels(outcome="replay").inc()
        return Replay(row["response_status"], row["response_body"])
    if row["lock_token"] is not None and row["locked_at"] > now - lock_timeout:
        IDEMPOTENCY.labels(outcome="in_flight").inc()
        raise key_in_use(request.key)
    conn.execute(K.update().where(K.c.id == row["id"]).values(lock_token=token, locked_at=now, last_run_at=now))
    return Claimed(_record(row), token)


def take_over(conn: sa.Connection, key_id: int, *, lock_timeout: timedelta) -> Claimed | None:
    """For the completer: claim an unfinished key nobody is (still) working on."""
    now = utcnow()
    token = secrets.token_hex(16)
    row = (
        conn.execute(
            K.update()
            .where(
                K.c.id == key_id,
                K.c.response_status.is_(None),
                sa.or_(K.c.lock_token.is_(None), K.c.locked_at <= now - lock_timeout),
            )
            .values(lock_token=token, locked_at=now, last_run_at=now)
            .returning(*K.c)
        )
        .mappings()
        .first()
    )
    return Claimed(_record(row), token) if row else None


def _guarded(conn: sa.Connection, claimed: Claimed, **values: Any) -> Claimed:
    row = (
        conn.execute(
            K.update()
            .where(K.c.id == claimed.record.id, K.c.lock_token == claimed.token)
            .values(**values)
            .returning(*K.c)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise LostLock(f"idempotency key {claimed.record.id} was taken over")
    return Claimed(_record(row), claimed.token)


def advance(conn: sa.Connection, claimed: Claimed, point: str, data: dict[str, Any]) -> Claimed:
    """Record the recovery point reached, in the transaction that did the work."""
    merged = {**claimed.record.recovery_data, **data}
    return _guarded(conn, claimed, recovery_point=point, recovery_data=merged, locked_at=utcnow())


def renew(conn: sa.Connection, claimed: Claimed) -> Claimed:
    """The request is alive and goes on to its next step: its lock counts from now."""
    return _guarded(conn, claimed, locked_at=utcnow())


def finish(conn: sa.Connection, claimed: Claimed, status: int, body: dict[str, Any]) -> Replay:
    raw = json.dumps(body, separators=(",", ":"))
    _guarded(
        conn,
        claimed,
        recovery_point=FINISHED,
        response_status=status,
        response_body=raw,
        lock_token=None,
        locked_at=None,
    )
    return Replay(status, raw)


def unlock(conn: sa.Connection, claimed: Claimed) -> None:
    """Stop without a final answer (the provider is unreachable): a retry resumes from the same point."""
    _guarded(conn, claimed, lock_token=None, locked_at=None)


def abandoned(conn: sa.Connection, *, idle_for: timedelta, limit: int) -> list[int]:
    """Keys stopped between two recovery points that nobody is working on: the completer finishes them."""
    cutoff = utcnow() - idle_for
    rows = conn.execute(
        sa.select(K.c.id)
        .where(
            K.c.recovery_point.not_in([STARTED, FINISHED]),
            K.c.last_run_at <= cutoff,
            sa.or_(K.c.lock_token.is_(None), K.c.locked_at <= cutoff),
        )
        .order_by(K.c.id)
        .limit(limit)
    )
    return [row[0] for row in rows]


def reap(conn: sa.Connection, *, older_than: datetime) -> int:
    """Forget keys past their retention: finished ones, and ones that never got past the start."""
    result = conn.execute(
        K.delete().where(K.c.created_at < older_than, K.c.recovery_point.in_([STARTED, FINISHED])).returning(K.c.id)
    )
    return len(result.all())


def release(engine: Engine, claimed: Claimed) -> None:
    """Best effort, after an unexpected failure: unlock the key so a retry can resume at once instead of waiting
    for the lock to be presumed dead. If another execution took the key over meanwhile, it keeps it."""
    with engine.connect() as conn, conn.begin(), contextlib.suppress(LostLock):
        unlock(conn, claimed)
