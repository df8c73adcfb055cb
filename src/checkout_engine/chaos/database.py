"""The run's PostgreSQL database: a fresh one (created on the local server, dropped after a clean run) or a given,
empty one. The invariants range over every order in it, so it must hold no orders of an earlier run."""

from __future__ import annotations

import os
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from checkout_engine.db import migrate
from checkout_engine.db.engine import make_engine
from checkout_engine.db.tables import orders

ADMIN_URL = os.environ.get("CHECKOUT_CHAOS_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class DatabaseNotEmpty(RuntimeError):
    """The given database already holds orders: the invariants could not tell them from this run's."""


def _admin_engine() -> sa.Engine:
    return sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def create_database() -> str:
    """A new database ``chaos_<random>`` beside the admin URL's; returns its URL."""
    name = f"chaos_{secrets.token_hex(6)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def prepare(url: str) -> None:
    """Bring the schema up to date and make sure no earlier orders are in the way."""
    if not url.startswith("postgresql"):
        raise ValueError("the chaos run needs PostgreSQL: several processes write to one database at once")
    engine = make_engine(url, pool_size=1)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            existing = conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar_one()
    finally:
        engine.dispose()
    if existing:
        raise DatabaseNotEmpty(f"the database already holds {existing} orders; give the chaos run an empty one")


def printable(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
