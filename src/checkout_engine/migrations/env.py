"""Alembic environment: runs against the connection handed over by checkout_engine.db.migrate."""

from alembic import context
from sqlalchemy import Connection

from checkout_engine.db.engine import make_engine
from checkout_engine.db.tables import metadata
from checkout_engine.settings import get_settings


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(get_settings().database_url, pool_size=1)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
