"""Idempotency keys at the repository level: the atomic claim, Stripe's three answers, hand-over of a dead
request's lock, the guard that stops a presumed-dead execution from writing, and retention."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import idempotency_keys
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.idempotency import repository as keys
from checkout_engine.idempotency.model import (
    Claimed,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    IdempotentRequest,
    LostLock,
    Replay,
)

LOCK = timedelta(seconds=60)
REQUEST = IdempotentRequest("cart:c1", "key-1", "POST", "/v1/carts/c1/checkout", {"expected_total": 100})


def claim(engine: Engine, request: IdempotentRequest = REQUEST) -> Claimed | Replay:
    with UnitOfWork(engine) as uow:
        result = keys.claim(uow.connection, request, lock_timeout=LOCK)
        uow.commit()
    return result


@pytest.mark.sqlite
def test_a_key_answers_in_use_while_running_then_replays_its_final_answer(engine: Engine) -> None:
    first = claim(engine)
    assert isinstance(first, Claimed) and first.record.recovery_point == "started"
    with pytest.raises(IdempotencyKeyInUse):
        claim(engine)
    with UnitOfWork(engine) as uow:
        keys.finish(uow.connection, first, 201, {"order_id": "ord_1", "total": 100})
        uow.commit()
    replay = claim(engine)
    assert isinstance(replay, Replay) and replay.status == 201
    assert replay.raw == '{"order_id":"ord_1","total":100}'


@pytest.mark.sqlite
def test_the_same_key_with_other_parameters_is_refused_and_scopes_keep_keys_apart(engine: Engine) -> None:
    claim(engine)
    with pytest.raises(IdempotencyKeyReused):
        claim(engine, IdempotentRequest("cart:c1", "key-1", "POST", "/v1/carts/c1/checkout", {"expected_total": 1}))
    other_cart = IdempotentRequest("cart:c2", "key-1", "POST", "/v1/carts/c2/checkout", {"expected_total": 100})
    assert isinstance(claim(engine, other_cart), Claimed)


def test_a_dead_requests_lock_is_handed_over_and_the_dead_one_can_no_longer_write(engine: Engine) -> None:
    dead = claim(engine)
    assert isinstance(dead, Claimed)
    with engine.begin() as conn:
        conn.execute(sa.update(idempotency_keys).values(locked_at=utcnow() - 2 * LOCK))
    resumed = claim(engine)
    assert isinstance(resumed, Claimed) and resumed.token != dead.token
    with UnitOfWork(engine) as uow, pytest.raises(LostLock):
        keys.advance(uow.connection, dead, "order_created", {"order_id": "ord_dead"})
    with UnitOfWork(engine) as uow:
        moved = keys.advance(uow.connection, resumed, "order_created", {"order_id": "ord_1"})
        uow.commit()
    assert moved.record.recovery_data == {"order_id": "ord_1"}


def test_old_finished_keys_are_forgotten_but_unfinished_work_is_kept(engine: Engine) -> None:
    done = claim(engine)
    half = claim(engine, IdempotentRequest("cart:c2", "k", "POST", "/v1/carts/c2/checkout", {}))
    assert isinstance(done, Claimed) and isinstance(half, Claimed)
    with UnitOfWork(engine) as uow:
        keys.finish(uow.connection, done, 201, {})
        keys.advance(uow.connection, half, "order_created", {})
        uow.commit()
    with engine.begin() as conn:
        conn.execute(sa.update(idempotency_keys).values(created_at=utcnow() - timedelta(hours=25)))
    with UnitOfWork(engine) as uow:
        assert keys.reap(uow.connection, older_than=utcnow() - timedelta(hours=24)) == 1
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(sa.select(idempotency_keys.c.scope)).scalars().all() == ["cart:c2"]
