"""Capturing an authorization (manual capture) and voiding one that arrived for an order that already ended, as
idempotent jobs with provider keys kept beside the attempt (provider_keys)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from checkout_engine.db.tables import orders as orders_table
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs import repository as jobs
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import JobContext
from checkout_engine.orders import effects
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import PaymentStatus, ProviderRejected, ProviderUnavailable
from checkout_engine.payments.provider_keys import ProviderKeys, current_key
from checkout_engine.payments.stop import stop_payment

CAPTURE = "capture"
CAPTURE_PAYMENT = "capture_payment"
VOID_AUTHORIZATION = "void_authorization"
SWEEP_BATCH = 500


def enqueue_capture(conn: sa.Connection, attempt: PaymentAttempt) -> bool:
    return jobs.enqueue(conn, CAPTURE_PAYMENT, {"attempt_id": attempt.id}, dedupe_key=f"{CAPTURE_PAYMENT}:{attempt.id}")


def enqueue_uncaptured(context: JobContext) -> int:
    """Sweep: an authorized order whose capture job is gone (dead after a long outage, lost with its worker) is
    captured again before the authorization lapses; a live job is reused."""
    with UnitOfWork(context.engine) as uow:
        conn = uow.connection
        authorized = (
            conn.execute(
                sa.select(orders_table.c.id)
                .where(orders_table.c.state == OrderState.PAYMENT_AUTHORIZED.value)
                .order_by(orders_table.c.updated_at)
                .limit(SWEEP_BATCH)
            )
            .scalars()
            .all()
        )
        latest = attempts.latest_for_orders(conn, list(authorized)) if authorized else {}
        held = [attempt for attempt in latest.values() if attempt.status == PaymentStatus.AUTHORIZED]
        queued = sum(enqueue_capture(conn, attempt) for attempt in held)
        uow.commit()
    return queued


def enqueue_void(conn: sa.Connection, attempt: PaymentAttempt) -> None:
    jobs.enqueue(conn, VOID_AUTHORIZATION, {"attempt_id": attempt.id}, dedupe_key=f"{VOID_AUTHORIZATION}:{attempt.id}")


def _attempt(context: JobContext, payload: dict[str, Any]) -> PaymentAttempt:
    with UnitOfWork(context.engine) as uow:
        attempt = attempts.get(uow.connection, str(payload["attempt_id"]))
    assert attempt is not None and attempt.provider_payment_id is not None
    return attempt


def capture(context: JobContext, payload: dict[str, Any]) -> None:
    attempt = _attempt(context, payload)
    assert attempt.provider_payment_id is not None
    with UnitOfWork(context.engine) as uow:
        if orders.get_order(uow, attempt.order_id).state is not OrderState.PAYMENT_AUTHORIZED:
            return  # cancelled or expired meanwhile: the money must not be taken (a void job releases it)
        key = current_key(uow.connection, CAPTURE, attempt.id)
        uow.commit()
    keys = ProviderKeys(context.engine)
    try:
        payment = context.provider.capture(attempt.provider_payment_id, amount=None, idempotency_key=key)
    except ProviderUnavailable as error:
        raise RetryLater(error.message) from error
    except ProviderRejected as error:
        keys.spend(key, because=error.message)  # the provider keeps the refusal under it: the key is done
        _refused(context, attempt, error)
        return
    with UnitOfWork(context.engine) as uow:
        attempts.record_provider_state(uow.connection, attempt, payment)
        order = orders.get_order(uow, attempt.order_id)
        if payment.status is PaymentStatus.SUCCEEDED and order.state is OrderState.PAYMENT_AUTHORIZED:
            order = orders.transition(
                uow, order, OrderState.PAID, reason="payment_captured", actor="worker", provider_event_id=payment.id
            )
            effects.apply(uow, order, settings=context.settings)
        uow.commit()


def _refused(context: JobContext, attempt: PaymentAttempt, error: ProviderRejected) -> None:
    """A refusal given fresh is the provider's word on the authorization now: the capture failed. One replayed from
    an earlier call (made too early, say) speaks of the intent as it was then: if it is still capturable, the job
    tries again, under the new key, after reading the order again."""
    assert attempt.provider_payment_id is not None
    current = context.provider.retrieve(attempt.provider_payment_id)
    with UnitOfWork(context.engine) as uow:
        order = orders.get_order(uow, attempt.order_id)
        attempts.record_provider_state(uow.connection, attempt, current)
        still_capturable = current.status is PaymentStatus.AUTHORIZED
        if error.replayed and still_capturable:
            uow.commit()
            raise RetryLater(f"an earlier refusal was replayed ({error.message}); capturing under a new key")
        if current.status is not PaymentStatus.SUCCEEDED and order.state is OrderState.PAYMENT_AUTHORIZED:
            orders.transition(
                uow, order, OrderState.CAPTURE_FAILED, reason=f"capture refused: {error.message}", actor="worker"
            )
        uow.commit()


def void(context: JobContext, payload: dict[str, Any]) -> None:
    """Release an intent that must take no money (an authorization, or an intent nobody will be handed); if it
    succeeded or settles meanwhile, that is recorded and its own events settle the order."""
    with UnitOfWork(context.engine) as uow:
        attempt = attempts.get(uow.connection, str(payload["attempt_id"]))
    assert attempt is not None
    try:
        if attempt.provider_payment_id is None:  # the intent's answer was lost: find it by its reference
            found = context.provider.find_intent(attempt.id, created_after=attempt.created_at)
            if found is None:
                return
            attempt = replace(attempt, provider_payment_id=found.id)
        payment = stop_payment(context.provider, ProviderKeys(context.engine), attempt, release_authorization=True)
    except ProviderUnavailable as error:
        raise RetryLater(error.message) from error
    with UnitOfWork(context.engine) as uow:
        attempts.record_provider_state(uow.connection, attempt, payment)
        uow.commit()
