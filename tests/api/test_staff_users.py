"""Dashboard logins: created by the CLI with a role, stored as an argon2id hash, checked without telling which
half was wrong."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.admin import users
from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import staff_users
from checkout_engine.errors import Conflict, Invalid


def test_the_cli_creates_a_login_whose_password_is_only_stored_hashed(db_url: str, engine: Engine) -> None:
    env = {**os.environ, "CHECKOUT_DATABASE_URL": db_url, "CHECKOUT_NEW_STAFF_PASSWORD": "correct horse battery"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "checkout_engine.cli",
            "admin",
            "create-user",
            "--role",
            "support",
            "--email",
            "Ana@Shop.test",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    with engine.connect() as conn:
        row = conn.execute(sa.select(staff_users)).mappings().one()
        assert (row["email"], row["role"]) == ("ana@shop.test", "support")
        assert row["password_hash"].startswith("$argon2id$") and "correct horse" not in row["password_hash"]
        principal = users.authenticate(conn, "ANA@shop.test", "correct horse battery")
        assert principal is not None and principal.role is Role.SUPPORT
        assert users.authenticate(conn, "ana@shop.test", "wrong horse battery") is None
        assert users.authenticate(conn, "nobody@shop.test", "correct horse battery") is None


@pytest.mark.sqlite
def test_weak_passwords_and_duplicate_logins_are_refused(engine: Engine) -> None:
    with pytest.raises(Invalid), engine.begin() as conn:
        users.create(conn, email="a@shop.test", role=Role.ADMIN, password="short")
    with engine.begin() as conn:
        users.create(conn, email="a@shop.test", role=Role.ADMIN, password="long enough password")
    with pytest.raises(Conflict), engine.begin() as conn:
        users.create(conn, email="A@shop.test", role=Role.VIEWER, password="another long password")
