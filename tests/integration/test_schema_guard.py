"""Migrations bring any database to the code's schema, and nothing serves an out-of-date one."""

import os
import subprocess
import sys

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from checkout_engine.db import migrate
from checkout_engine.db.engine import make_engine


@pytest.mark.sqlite
def test_a_migrated_database_is_current(engine: Engine) -> None:
    migrate.ensure_current(engine)
    assert migrate.current_revisions(engine) == migrate.head_revisions()


def test_serve_refuses_an_unmigrated_database_with_a_clear_message(empty_pg_url: str) -> None:
    env = {**os.environ, "CHECKOUT_DATABASE_URL": empty_pg_url}
    result = subprocess.run(
        [sys.executable, "-m", "checkout_engine.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "schema is out of date" in result.stderr and "checkout-engine migrate" in result.stderr


def test_migrations_upgrade_downgrade_and_upgrade_again(empty_pg_url: str) -> None:
    engine = make_engine(empty_pg_url)
    with pytest.raises(migrate.SchemaOutOfDate):
        migrate.ensure_current(engine)
    migrate.upgrade(engine)
    migrate.ensure_current(engine)
    assert "orders" in inspect(engine).get_table_names()

    config = Config()
    config.set_main_option("script_location", migrate.SCRIPT_LOCATION)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(engine)
    migrate.ensure_current(engine)
    engine.dispose()


def test_the_migrations_build_exactly_the_schema_the_code_defines(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from checkout_engine.db.tables import metadata

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
