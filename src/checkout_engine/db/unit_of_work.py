"""The unit of work: one transaction per command, rolled back unless the command commits it.

No code outside a unit of work commits. Services receive the unit of work and read or write through its
connection; work that must happen later is written as a row in the same transaction, never done mid-way.

The connection is taken from the pool at first use, not on entering: a request whose unit of work is opened by
the framework but never used (a refused request) costs no connection, and opening it costs no thread hop.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._open = False
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        self._open = True
        return self

    @property
    def connection(self) -> Connection:
        if not self._open:
            raise RuntimeError("the unit of work is not open")
        if self._connection is None:
            self._connection = self._engine.connect()
            self._connection.begin()
        return self._connection

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def needs_rollback(self) -> bool:
        """Whether closing would talk to the database: a transaction is in progress (not committed yet, or begun
        again by a statement after the commit)."""
        return self._connection is not None and self._connection.in_transaction()

    def commit(self) -> None:
        if not self._open:
            raise RuntimeError("the unit of work is not open")
        if self._connection is not None:
            self._connection.commit()

    def close(self) -> None:
        """Roll back whatever was not committed and give the connection back to the pool."""
        connection, self._connection, self._open = self._connection, None, False
        if connection is not None:
            connection.close()  # rolls back a transaction still in progress

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
