"""Schema migrations, run programmatically, and the check that refuses to serve an out-of-date schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from checkout_engine.errors import CheckoutError

SCRIPT_LOCATION = "checkout_engine:migrations"


class SchemaOutOfDate(CheckoutError):
    code = "schema_out_of_date"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ensure_current(engine: Engine) -> None:
    """Raise with a clear message when the database is not at the code's schema revision."""
    current, heads = current_revisions(engine), head_revisions()
    if current != heads:
        found = ", ".join(sorted(current)) or "no schema"
        raise SchemaOutOfDate(
            f"The database schema is out of date (found {found}, need {', '.join(sorted(heads))}). "
            "Run `checkout-engine migrate` first.",
            details={"current": sorted(current), "head": sorted(heads)},
        )
