"""The unit of work takes its connection at first use and always gives it back: rolled back unless committed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import carts
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.ids import new_id

pytestmark = pytest.mark.sqlite


def _cart_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(carts)).scalar_one()


def _write_cart(uow: UnitOfWork) -> None:
    now = utcnow()
    row = {"id": new_id("cart"), "currency": "EUR", "status": "open", "version": 1}
    uow.connection.execute(carts.insert().values(**row, created_at=now, updated_at=now))


def test_a_unit_of_work_that_is_never_used_takes_no_connection(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        uow.commit()  # nothing begun, nothing to commit
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_what_is_not_committed_is_rolled_back_and_the_connection_returned(engine: Engine) -> None:
    before = _cart_count(engine)
    with UnitOfWork(engine) as uow:
        _write_cart(uow)
        assert uow.needs_rollback
    assert _cart_count(engine) == before
    with UnitOfWork(engine) as uow:
        _write_cart(uow)
        uow.commit()
        assert not uow.needs_rollback
    assert _cart_count(engine) == before + 1
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_statement_after_the_commit_is_rolled_back_at_close(engine: Engine) -> None:
    before = _cart_count(engine)
    with UnitOfWork(engine) as uow:
        _write_cart(uow)
        uow.commit()
        _write_cart(uow)  # begins a new transaction, never committed
        assert uow.needs_rollback
    assert _cart_count(engine) == before + 1


def test_a_closed_unit_of_work_refuses_to_be_used(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        pass
    with pytest.raises(RuntimeError, match="not open"):
        uow.connection  # noqa: B018


def test_every_request_gives_its_connection_back_whether_it_succeeded_or_was_refused(
    client: TestClient, engine: Engine
) -> None:
    created = client.post("/v1/carts", json={"currency": "EUR"})
    assert created.status_code == 201, created.text
    refused = client.put(f"/v1/carts/{created.json()['id']}/items/NO-SUCH-SKU", json={"quantity": 1})
    assert refused.status_code == 422
    missing = client.get("/v1/carts/cart_nosuchcart")
    assert missing.status_code == 404
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
