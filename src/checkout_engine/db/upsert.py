"""INSERT ... ON CONFLICT DO UPDATE, the same call on PostgreSQL and SQLite (no check-then-insert race)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")


def dialect_insert(conn: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ON CONFLICT, for whichever of the two databases ``conn`` talks to."""
    return _insert_for(conn.dialect.name, table)


def _insert_for(dialect: str, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def prebuilt(table: sa.Table, build: Callable[[postgresql.Insert | sqlite.Insert], T]) -> Callable[[sa.Connection], T]:
    """A hot INSERT … ON CONFLICT built once per database kind, its row given as parameters at each execution:
    SQLAlchemy then skips building the statement and its cache key every time (half an insert's Python cost)."""
    built: dict[str, T] = {}

    def for_connection(conn: sa.Connection) -> T:
        dialect = conn.dialect.name
        if dialect not in built:
            built[dialect] = build(_insert_for(dialect, table))
        return built[dialect]

    return for_connection


def upsert(
    conn: sa.Connection,
    table: sa.Table,
    values: dict[str, Any],
    *,
    keys: Sequence[str],
    insert_only: Sequence[str] = ("created_at",),
    where: sa.ColumnElement[bool] | None = None,
) -> bool:
    """Insert the row or update it in place; ``where`` guards the update. True when a row was written."""
    statement = dialect_insert(conn, table).values(**values)
    updates = {name: statement.excluded[name] for name in values if name not in keys and name not in insert_only}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates, where=where)
    # RETURNING, not rowcount: drivers disagree on rowcount for INSERT ... ON CONFLICT.
    return conn.execute(statement.returning(table.c[keys[0]])).first() is not None
