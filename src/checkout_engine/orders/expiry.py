"""Expiring unpaid orders whose stock reservation ran out: the provider's intent is cancelled first (so a late
payment cannot land on it), then the order becomes ``expired`` and its stock and coupon go back.

If the provider says the money already moved, nothing is expired: the payment's own events decide."""

from __future__ import annotations

from typing import Any

from checkout_engine.catalog import redemptions
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.inventory import service as inventory
from checkout_engine.jobs import repository as jobs
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import JobContext
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import PaymentStatus, ProviderPayment, ProviderRejected, provider_idempotency_key
from checkout_engine.payments.provider import PaymentProvider

EXPIRE_ORDER = "expire_order"
EXPIRABLE = frozenset({OrderState.PAYMENT_PENDING, OrderState.PAYMENT_FAILED})
MONEY_MOVED = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED})
SWEEP_BATCH = 500


def enqueue_expired(context: JobContext) -> int:
    """Sweep: one ``expire_order`` job per order holding stock past its reservation's expiry."""
    with UnitOfWork(context.engine) as uow:
        order_ids = orders_repo.expired_unpaid(uow.connection, states=EXPIRABLE, now=utcnow(), limit=SWEEP_BATCH)
        queued = sum(
            jobs.enqueue(uow.connection, EXPIRE_ORDER, {"order_id": order_id}, dedupe_key=f"{EXPIRE_ORDER}:{order_id}")
            for order_id in order_ids
        )
        uow.commit()
    return queued


def _stop_payment(provider: PaymentProvider, attempt: PaymentAttempt) -> ProviderPayment:
    """Cancel the attempt's intent unless money already moved; returns the provider's final word."""
    assert attempt.provider_payment_id is not None
    payment = provider.retrieve(attempt.provider_payment_id)
    if payment.status in MONEY_MOVED or payment.status is PaymentStatus.CANCELED:
        return payment
    try:
        return provider.cancel(payment.id, idempotency_key=provider_idempotency_key("cancel", attempt.id))
    except ProviderRejected:  # it changed state under us (paid a moment ago?): ask again
        return provider.retrieve(payment.id)


def expire_order(context: JobContext, payload: dict[str, Any]) -> None:
    order_id = str(payload["order_id"])
    with UnitOfWork(context.engine) as uow:
        order = orders.get_order(uow, order_id)
        attempt = attempts.latest_for_order(uow.connection, order_id)
        if order.state not in EXPIRABLE:
            if order.state in (OrderState.EXPIRED, OrderState.CANCELLED):
                inventory.release(uow, order_id)  # leftovers of an order that ended elsewhere
                uow.commit()
            return
    payment = _stop_payment(context.provider, attempt) if attempt and attempt.provider_payment_id else None
    if payment is not None and payment.status in MONEY_MOVED:
        return
    with UnitOfWork(context.engine) as uow:
        conn = uow.connection
        current = orders.get_order(uow, order_id)
        latest = attempts.latest_for_order(conn, order_id)
        if latest != attempt or current.version != order.version:
            raise RetryLater("the order changed while its payment was being stopped")
        if current.expires_at is None or current.expires_at > utcnow():
            return  # a new attempt extended it meanwhile
        if latest is not None and payment is not None:
            attempts.record_provider_state(conn, latest, payment)
        elif latest is not None:
            attempts.mark(conn, latest, "canceled", expected=attempts.CREATING)
        orders.transition(uow, current, OrderState.EXPIRED, reason="reservation_expired", actor="worker")
        inventory.release(uow, order_id)
        redemptions.release(conn, order_id)
        uow.commit()
