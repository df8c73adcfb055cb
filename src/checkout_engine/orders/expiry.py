"""Expiring unpaid orders whose stock reservation ran out: the provider's intent is cancelled first (so a late
payment cannot land on it), then the order becomes ``expired`` and its stock and coupon go back. An order whose
capture was refused (``capture_failed``) is treated alike once its hold is past due: its authorization is released,
and it is cancelled and flagged for a person.

If the provider says the money already moved, nothing is expired: the payment's own events decide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from checkout_engine.catalog import redemptions
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.inventory import service as inventory
from checkout_engine.jobs import repository as jobs
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import JobContext
from checkout_engine.observability.metrics import RESERVATION_EXPIRIES
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import ENDED_UNPAID, EXPIRABLE, Order, OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.capture import enqueue_void
from checkout_engine.payments.provider_keys import ProviderKeys
from checkout_engine.payments.stop import MONEY_MOVED, stop_payment

EXPIRE_ORDER = "expire_order"
LAPSING = EXPIRABLE | {OrderState.CAPTURE_FAILED}
CAPTURE_GIVEN_UP = "capture refused and the authorization released: the order was cancelled"
SWEEP_BATCH = 500


def enqueue_expired(context: JobContext) -> int:
    """Sweep: one ``expire_order`` job per order holding stock past its reservation's expiry."""
    with UnitOfWork(context.engine) as uow:
        order_ids = orders_repo.expired_unpaid(
            uow.connection, states=LAPSING, ended=ENDED_UNPAID, now=utcnow(), limit=SWEEP_BATCH
        )
        queued = sum(
            jobs.enqueue(uow.connection, EXPIRE_ORDER, {"order_id": order_id}, dedupe_key=f"{EXPIRE_ORDER}:{order_id}")
            for order_id in order_ids
        )
        uow.commit()
    return queued


def _due(order: Order) -> bool:
    return order.expires_at is not None and order.expires_at <= utcnow()


def expire_order(context: JobContext, payload: dict[str, Any]) -> None:
    """Safe to run twice: it acts only on an unpaid order whose hold is still past due, as read at each step. An
    order that already ended (expired, cancelled) but holds stock again for a new attempt that never took over
    gives it back the same way, without a transition."""
    order_id = str(payload["order_id"])
    with UnitOfWork(context.engine) as uow:
        order = orders.get_order(uow, order_id)
        attempt = attempts.latest_for_order(uow.connection, order_id)
    if order.state not in LAPSING | ENDED_UNPAID or not _due(order):
        return
    release = order.state is OrderState.CAPTURE_FAILED
    has_intent = attempt is not None and attempt.provider_payment_id is not None
    keys = ProviderKeys(context.engine)
    payment = (
        stop_payment(context.provider, keys, attempt, release_authorization=release) if attempt and has_intent else None
    )
    with UnitOfWork(context.engine) as uow:
        conn = uow.connection
        current = orders.get_order(uow, order_id)
        latest = attempts.latest_for_order(conn, order_id)
        if latest != attempt or current.version != order.version:
            raise RetryLater("the order changed while its payment was being stopped")
        if latest is not None and payment is not None:
            attempts.record_provider_state(conn, latest, payment)
        if payment is not None and payment.status in MONEY_MOVED:
            # Its own events (or reconciliation) will settle it; look again only after that had time to happen.
            later = utcnow() + timedelta(seconds=context.settings.reconcile_pending_after_seconds)
            orders_repo.compare_and_set(conn, current, expires_at=later)
            uow.commit()
            return
        if (
            latest is not None
            and payment is None
            and attempts.mark(conn, latest, attempts.CANCELED, expected=attempts.CREATING)
        ):
            enqueue_void(conn, latest)  # its request may have died after the provider made the intent: find, release
        if current.state in EXPIRABLE:
            orders.transition(uow, current, OrderState.EXPIRED, reason="reservation_expired", actor="worker")
        elif current.state is OrderState.CAPTURE_FAILED:
            cancelled = orders.transition(uow, current, OrderState.CANCELLED, reason="capture_given_up", actor="worker")
            orders.flag_for_review(uow, cancelled, reason=CAPTURE_GIVEN_UP, actor="worker")
        inventory.release(uow, order_id)
        redemptions.release(conn, order_id)
        uow.commit()
    RESERVATION_EXPIRIES.inc()
