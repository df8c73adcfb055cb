"""A failing statement's error names the statement, never the values it was given: they can be order tokens,
client secrets or grants, and errors end up in logs and in ``jobs.last_error``, which viewers read."""

import pytest
import sqlalchemy as sa

from checkout_engine.db.engine import make_engine

SECRET = "pi_123_secret_do_not_log"


def test_a_failing_statement_does_not_show_its_parameters(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as failed:
            conn.execute(sa.text("SELECT * FROM no_such_table WHERE token = :token"), {"token": SECRET})
    finally:
        engine.dispose()
    assert "no_such_table" in str(failed.value)
    assert SECRET not in str(failed.value)
