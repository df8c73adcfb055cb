"""Phase two: create the provider's payment intent (outside any transaction, with a key derived from the
attempt), then record it, move the order to ``payment_pending`` and store the final answer in one transaction.

Run by the request itself, by a retry with the same idempotency key, or by the worker's completer; every path
sends the same provider idempotency key, so the provider holds one intent per attempt whatever happened. The
attempt's status is the arbiter: an attempt given up (``canceled`` by expiry, a cancellation or a give-up) never
becomes the order's live payment; one whose status a provider event recorded first still does. Before a new
attempt's intent exists, the order's earlier intents are stopped: an order has one intent a customer can pay.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from checkout_engine.cart import repository as carts_repo
from checkout_engine.cart.model import CartStatus
from checkout_engine.catalog import redemptions
from checkout_engine.checkout.model import CheckoutExpired, Hooks, OrderNotPayable, PaymentInProgress
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError, error_response
from checkout_engine.idempotency import repository as keys
from checkout_engine.idempotency.model import Claimed, Replay
from checkout_engine.inventory import repository as holds
from checkout_engine.inventory import service as inventory
from checkout_engine.inventory.model import InsufficientInventory, ReservationStatus
from checkout_engine.observability.metrics import PAYMENT_INITIATIONS
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import HOLDS_COUPON, MONEY_IN, TAKES_AN_INTENT, Order, OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.capture import enqueue_void
from checkout_engine.payments.model import IntentRequest, ProviderPayment, ProviderRejected
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.payments.provider_keys import ProviderKeys
from checkout_engine.payments.stop import MONEY_MOVED, stop_payment

INTENT_CREATED = "intent_created"


def _expired() -> CheckoutExpired:
    return CheckoutExpired("This checkout was not completed before its stock reservation expired; start again.")


def _hold_again(uow: UnitOfWork, attempt: PaymentAttempt, reservation_ttl: timedelta) -> bool:
    """A resumed checkout whose stock hold ran out while its request was dead, before expiry took it, holds the
    stock again for a full reservation if it is still there (False if not): a crash must not cost the sale.
    (An attempt that expiry or a cancellation already took is ``canceled``, and is not resumed.)"""
    conn = uow.connection
    order = orders.get_order(uow, attempt.order_id)
    if order.expires_at is None or order.expires_at > utcnow():
        return True
    expires_at = utcnow() + reservation_ttl
    if orders_repo.compare_and_set(conn, order, expires_at=expires_at) is None:
        return False
    if any(hold.status is ReservationStatus.ACTIVE for hold in holds.for_order(conn, order.id)):
        return True
    snapshot = orders_repo.snapshot_for(conn, order.id)
    assert snapshot is not None
    lines = [(line["sku"], line["quantity"]) for line in snapshot.payload["lines"]]
    savepoint = conn.begin_nested()  # a partial hold must not survive a short line
    try:
        inventory.reserve(uow, order_id=order.id, lines=lines, expires_at=expires_at)
    except InsufficientInventory:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _give_up(
    uow: UnitOfWork, claimed: Claimed, attempt: PaymentAttempt, error: CheckoutError, *, intent_may_exist: bool
) -> Replay:
    """No payment will be taken on this attempt: free its stock and coupon, close a never-paid order, and, when
    the provider may hold its intent, queue the intent's release (durably, in this transaction)."""
    conn = uow.connection
    order = orders.get_order(uow, attempt.order_id)
    if attempts.mark(conn, attempt, attempts.CANCELED):  # refused if the attempt succeeded meanwhile
        inventory.release(uow, order.id)
        ends_as = OrderState.CANCELLED if order.state is OrderState.DRAFT else order.state
        if ends_as not in HOLDS_COUPON | MONEY_IN:  # a declined order keeps its coupon, a paid one spent it
            redemptions.release(conn, order.id)
        if order.state is OrderState.DRAFT:  # never had a payment: close it and give the customer the cart back
            orders.transition(uow, order, OrderState.CANCELLED, reason=error.code, actor="checkout")
            carts_repo.update_cart(conn, order.cart_id, status=CartStatus.OPEN.value)
        if intent_may_exist:
            enqueue_void(conn, attempt)
    status, body = error_response(error)
    return keys.finish(conn, claimed, status, body)


def _answer(order_state: OrderState, order_total: int, currency: str, attempt: PaymentAttempt) -> dict[str, Any]:
    return {
        "state": order_state.value,
        "total": order_total,
        "currency": currency,
        "payment": {
            "id": attempt.id,
            "provider": attempt.provider,
            "provider_payment_id": attempt.provider_payment_id,
            "client_secret": attempt.client_secret,
            "status": attempt.status,
        },
    }


def create_intent(
    engine: Engine,
    provider: PaymentProvider,
    claimed: Claimed,
    *,
    hooks: Hooks,
    response: dict[str, Any],
    manual_capture: bool = False,
    reservation_ttl: timedelta,
    fresh_attempt: PaymentAttempt | None = None,
    first_of_order: bool = False,
) -> Replay:
    """Finish the request whose phase one committed. ``response`` holds the answer's fields already known (order
    token, expiry). A provider failure that may pass unlocks the key and is raised, for a retry to resume.
    ``fresh_attempt``: the attempt phase one created in this same request, still open by construction;
    ``first_of_order``: and the order it made just now has no other, so there is no earlier intent to stop."""
    attempt = fresh_attempt or _resumed_attempt(engine, claimed, reservation_ttl)
    if isinstance(attempt, Replay):
        return attempt
    # A resumed attempt's intent may exist already, made by the run that died under the same provider key (which
    # the provider may now refuse, e.g. for other parameters): giving up must then release it.
    resumed = fresh_attempt is None
    request = IntentRequest(
        amount=attempt.amount,
        currency=attempt.currency,
        reference=attempt.id,
        metadata=attempt.metadata(),
        idempotency_key=attempt.idempotency_key,
        manual_capture=manual_capture,
        not_before=attempt.created_at,
    )
    try:
        stopped, refusal = (False, None) if first_of_order else _stop_earlier_attempts(engine, provider, attempt)
        if refusal is not None or stopped:
            with UnitOfWork(engine) as uow:  # provider work took time: the lock counts again from now
                if refusal is not None:
                    answer = _give_up(uow, claimed, attempt, refusal, intent_may_exist=resumed)
                    uow.commit()
                    return answer
                claimed = keys.renew(uow.connection, claimed)
                uow.commit()
        payment = provider.create_intent(request)
    except ProviderRejected as error:
        with UnitOfWork(engine) as uow:
            answer = _give_up(uow, claimed, attempt, error, intent_may_exist=resumed)
            uow.commit()
        return answer
    except CheckoutError:
        with UnitOfWork(engine) as uow:
            keys.unlock(uow.connection, claimed)
            uow.commit()
        raise
    PAYMENT_INITIATIONS.inc()
    hooks.reached(INTENT_CREATED)
    try:
        return _record(engine, claimed, attempt, payment, response)
    except Exception:  # a lost race or a database error: let a retry with the same key resume at once
        keys.release(engine, claimed)
        raise


def _stop_earlier_attempts(
    engine: Engine, provider: PaymentProvider, attempt: PaymentAttempt
) -> tuple[bool, CheckoutError | None]:
    """An order has one live intent: before a new attempt's intent exists, every earlier one that could still be
    confirmed is cancelled (and read back). If one of them is taking money, the new attempt must not. Returns
    whether any was stopped, and the refusal."""
    with UnitOfWork(engine) as uow:
        earlier = [
            a
            for a in attempts.for_order(uow.connection, attempt.order_id)
            if a.id != attempt.id and a.provider_payment_id and a.status not in attempts.ENDED
        ]
    if not earlier:
        return False, None
    stopped = [(a, stop_payment(provider, ProviderKeys(engine), a)) for a in earlier]
    with UnitOfWork(engine) as uow:
        for earlier_attempt, payment in stopped:
            attempts.record_provider_state(uow.connection, earlier_attempt, payment)
        uow.commit()
    moving = [a.id for a, payment in stopped if payment.status in MONEY_MOVED]
    if not moving:
        return True, None
    return True, PaymentInProgress(
        "An earlier payment of this order is going through; wait for its outcome.",
        details={"payment_attempts": moving},
    )


def _resumed_attempt(engine: Engine, claimed: Claimed, reservation_ttl: timedelta) -> PaymentAttempt | Replay:
    """A retry or the completer resumes: the attempt must still be open, else the answer is a final give-up."""
    with UnitOfWork(engine) as uow:
        attempt = attempts.get(uow.connection, claimed.record.recovery_data["attempt_id"])
        assert attempt is not None
        if attempt.status != attempts.CANCELED and _hold_again(uow, attempt, reservation_ttl):
            uow.commit()
            return attempt
        answer = _give_up(uow, claimed, attempt, _expired(), intent_may_exist=True)
        uow.commit()
        return answer


def _record(
    engine: Engine, claimed: Claimed, attempt: PaymentAttempt, payment: ProviderPayment, response: dict[str, Any]
) -> Replay:
    """Record the intent, move the order to payment_pending and store the answer, in one transaction. An intent
    that must not be handed out (its attempt was given up while we were at the provider, or the order was paid or
    ended meanwhile) is released instead, and the answer says why."""
    with UnitOfWork(engine) as uow:
        recorded = attempts.record_provider_state(uow.connection, attempt, payment)
        order = orders.get_order(uow, attempt.order_id)
        if recorded is None or recorded.status == attempts.CANCELED or order.state not in TAKES_AN_INTENT:
            error = _expired() if order.state not in MONEY_IN else _paid_meanwhile(order)
            answer = _give_up(uow, claimed, recorded or attempt, error, intent_may_exist=True)
            uow.commit()
            return answer
        if order.state is not OrderState.PAYMENT_PENDING:
            order = orders.transition(
                uow, order, OrderState.PAYMENT_PENDING, reason="payment_intent_created", actor="checkout"
            )
        body = {"order_id": order.id, **response, **_answer(order.state, order.total, order.currency, recorded)}
        answer = keys.finish(uow.connection, claimed, 201, body)
        uow.commit()
    return answer


def _paid_meanwhile(order: Order) -> CheckoutError:
    return OrderNotPayable(
        f"This order was paid by an earlier payment meanwhile; it is {order.state}.",
        details={"state": order.state.value},
    )
