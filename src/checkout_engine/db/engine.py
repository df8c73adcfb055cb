"""Creating engines: PostgreSQL through psycopg 3 in production, SQLite as the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from checkout_engine.observability import tracing
from checkout_engine.observability.metrics import DB_COMMITS, DB_STATEMENTS

SQLITE_BUSY_TIMEOUT_MS = 30_000  # writers queue behind each other instead of failing at once
PG_POOL_SIZE = 10
PG_POOL_RECYCLE_SECONDS = 1800  # below common idle-connection cut-offs of proxies and firewalls


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = PG_POOL_SIZE) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url)
    else:
        # No pre-ping: it costs a round trip on every checkout of a connection. A connection the server dropped
        # fails one statement, SQLAlchemy then discards the whole pool, and the next unit of work reconnects.
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=PG_POOL_RECYCLE_SECONDS,
            hide_parameters=True,  # a statement's values (tokens, secrets) never reach an error's text or a log
        )
    _count_round_trips(engine)
    return engine


def _count_round_trips(engine: Engine) -> None:
    """Statements and commits per operation are the lever for throughput; the benchmarks read these counters."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _statement(*_: Any) -> None:
        DB_STATEMENTS.inc()

    @sa.event.listens_for(engine, "commit")
    def _commit(*_: Any) -> None:
        DB_COMMITS.inc()

    tracing.trace_statements(engine)  # each listener returns at once while tracing is off


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "isolation_level": None}, hide_parameters=True
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: sa.Connection) -> None:
        # Take the write lock up front: a deferred transaction that later upgrades to a writer can fail with
        # "database is locked" instead of waiting, which would turn two concurrent requests into a 500.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
