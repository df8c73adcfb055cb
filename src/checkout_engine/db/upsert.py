"""INSERT ... ON CONFLICT DO UPDATE, the same call on PostgreSQL and SQLite (no check-then-insert race)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(conn: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ON CONFLICT, for whichever of the two databases ``conn`` talks to."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


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
