"""Staff API keys: created by the CLI and shown once, stored only as a hash, carrying a role, revocable."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.admin import keys
from checkout_engine.admin.roles import Role
from checkout_engine.db.tables import api_keys
from support.http import assert_error

PRODUCT = {"name": "Mug", "kind": "physical", "prices": {"EUR": 1250}, "tax_class": "standard"}


def test_the_cli_prints_a_new_key_once_and_stores_only_its_hash(db_url: str, engine: Engine) -> None:
    env = {**os.environ, "CHECKOUT_DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, "-m", "checkout_engine.cli", "admin", "create-key", "--role", "support", "--name", "ana"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    plain = result.stdout.strip()
    assert plain.startswith("ce_sk_") and len(plain) > 40
    with engine.connect() as conn:
        row = conn.execute(sa.select(api_keys)).mappings().one()
    assert (row["name"], row["role"]) == ("ana", "support")
    assert plain not in str(dict(row)) and row["key_hash"] != plain
    with engine.connect() as conn:
        principal = keys.authenticate(conn, plain)
    assert principal is not None and principal.role is Role.SUPPORT
    again = subprocess.run(
        [sys.executable, "-m", "checkout_engine.cli", "admin", "create-key", "--role", "boss", "--name", "bob"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode != 0 and "viewer, support, finance, admin" in again.stdout + again.stderr


def test_a_key_acts_with_its_role_and_a_revoked_key_is_refused(client: TestClient, engine: Engine) -> None:
    with engine.begin() as conn:
        _, viewer = keys.create(conn, name="dashboard", role=Role.VIEWER)
        _, admin = keys.create(conn, name="ops", role=Role.ADMIN)
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    as_admin = {"Authorization": f"Bearer {admin}"}
    assert client.put("/admin/v1/products/MUG", json=PRODUCT, headers=as_admin).status_code == 200
    assert client.get("/admin/v1/products/MUG", headers=as_viewer).status_code == 200
    error = assert_error(client.put("/admin/v1/products/MUG", json=PRODUCT, headers=as_viewer), 403, "forbidden")
    assert error["details"] == {"required_role": "admin", "your_role": "viewer"}
    with engine.begin() as conn:
        keys.revoke(conn, "dashboard")
    assert_error(client.get("/admin/v1/products/MUG", headers=as_viewer), 401, "invalid_api_key")


@pytest.mark.sqlite
def test_a_key_name_is_unique_and_revoking_an_unknown_key_is_clear(engine: Engine) -> None:
    from checkout_engine.errors import Conflict, NotFound

    with engine.begin() as conn:
        keys.create(conn, name="ops", role=Role.ADMIN)
    with pytest.raises(Conflict), engine.begin() as conn:
        keys.create(conn, name="ops", role=Role.VIEWER)
    with pytest.raises(NotFound), engine.begin() as conn:
        keys.revoke(conn, "nobody")
