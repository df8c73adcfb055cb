"""Idempotent commands that finish in one transaction: the work and its stored answer commit together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError, error_response
from checkout_engine.idempotency import repository as keys
from checkout_engine.idempotency.model import IdempotentRequest, Outcome, Replay
from checkout_engine.orders.model import TransitionConflict

Work = Callable[[UnitOfWork], tuple[int, dict[str, Any]]]


def run(engine: Engine, request: IdempotentRequest, work: Work, *, lock_timeout: timedelta) -> Outcome:
    with UnitOfWork(engine) as uow:
        claimed = keys.claim(uow.connection, request, lock_timeout=lock_timeout)
        uow.commit()
    if isinstance(claimed, Replay):
        return Outcome(claimed.status, claimed.raw, replayed=True)
    failure: Exception | None = None
    with UnitOfWork(engine) as uow:
        try:
            status, body = work(uow)
            answer = keys.finish(uow.connection, claimed, status, body)
            uow.commit()
        except Exception as error:  # handled once the failed transaction has let go of its connection
            failure = error
    if isinstance(failure, CheckoutError) and not isinstance(failure, TransitionConflict):
        status, body = error_response(failure)
        with UnitOfWork(engine) as uow:
            answer = keys.finish(uow.connection, claimed, status, body)
            uow.commit()
    elif failure is not None:  # transient or unexpected: a retry with the same key may run it again at once
        keys.release(engine, claimed)
        raise failure
    return Outcome(answer.status, answer.raw)
