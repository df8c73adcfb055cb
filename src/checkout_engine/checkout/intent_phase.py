"""Phase two: create the provider's payment intent (outside any transaction, with a key derived from the
attempt), then record it, move the order to ``payment_pending`` and store the final answer in one transaction.

Run by the request itself, by a retry with the same idempotency key, or by the worker's completer; every path
sends the same provider idempotency key, so the provider holds one intent per attempt whatever happened. The
attempt's status is the arbiter: only an attempt still ``creating`` may become the order's live payment.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import Engine

from checkout_engine.cart import repository as carts_repo
from checkout_engine.cart.model import CartStatus
from checkout_engine.catalog import redemptions
from checkout_engine.checkout.model import CheckoutExpired, Hooks
from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError, error_response
from checkout_engine.idempotency import repository as keys
from checkout_engine.idempotency.model import Claimed, Replay
from checkout_engine.inventory import service as inventory
from checkout_engine.observability.metrics import PAYMENT_INITIATIONS
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import CREATING, PaymentAttempt
from checkout_engine.payments.model import (
    IntentRequest,
    ProviderError,
    ProviderPayment,
    ProviderRejected,
    provider_idempotency_key,
)
from checkout_engine.payments.provider import PaymentProvider

INTENT_CREATED = "intent_created"


def _expired() -> CheckoutExpired:
    return CheckoutExpired("This checkout was not completed before its stock reservation expired; start again.")


def _still_open(uow: UnitOfWork, attempt: PaymentAttempt) -> bool:
    order = orders.get_order(uow, attempt.order_id)
    return attempt.status == CREATING and (order.expires_at is None or order.expires_at > utcnow())


def _give_up(uow: UnitOfWork, claimed: Claimed, attempt: PaymentAttempt, error: CheckoutError) -> Replay:
    """No payment will be taken on this attempt: free its stock and coupon, close a never-paid order."""
    order = orders.get_order(uow, attempt.order_id)
    if attempts.mark(uow.connection, attempt, "canceled", expected=CREATING):
        inventory.release(uow, order.id)
        redemptions.release(uow.connection, order.id)
        if order.state is OrderState.DRAFT:  # never had a payment: close it and give the customer the cart back
            orders.transition(uow, order, OrderState.CANCELLED, reason=error.code, actor="checkout")
            carts_repo.update_cart(uow.connection, order.cart_id, status=CartStatus.OPEN.value)
    status, body = error_response(error)
    return keys.finish(uow.connection, claimed, status, body)


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
    fresh_attempt: PaymentAttempt | None = None,
) -> Replay:
    """Finish the request whose phase one committed. ``response`` holds the answer's fields already known (order
    token, expiry). A provider failure that may pass unlocks the key and is raised, for a retry to resume.
    ``fresh_attempt``: the attempt phase one created in this same request, still open by construction."""
    attempt = fresh_attempt or _resumed_attempt(engine, claimed)
    if isinstance(attempt, Replay):
        return attempt
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
        payment = provider.create_intent(request)
    except ProviderRejected as error:
        with UnitOfWork(engine) as uow:
            answer = _give_up(uow, claimed, attempt, error)
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
        answer, orphaned = _record(engine, claimed, attempt, payment, response)
    except Exception:  # a lost race or a database error: let a retry with the same key resume at once
        keys.release(engine, claimed)
        raise
    if orphaned:
        _cancel_quietly(provider, payment.id, attempt.id)
    return answer


def _resumed_attempt(engine: Engine, claimed: Claimed) -> PaymentAttempt | Replay:
    """A retry or the completer resumes: the attempt must still be open, else the answer is a final give-up."""
    with UnitOfWork(engine) as uow:
        attempt = attempts.get(uow.connection, claimed.record.recovery_data["attempt_id"])
        assert attempt is not None
        if _still_open(uow, attempt):
            return attempt
        answer = _give_up(uow, claimed, attempt, _expired())
        uow.commit()
        return answer


def _record(
    engine: Engine, claimed: Claimed, attempt: PaymentAttempt, payment: ProviderPayment, response: dict[str, Any]
) -> tuple[Replay, bool]:
    """Record the intent, move the order to payment_pending and store the answer; True when the intent is
    orphaned (the reservation expired while we were at the provider) and must be cancelled."""
    with UnitOfWork(engine) as uow:
        recorded = attempts.record_provider_state(uow.connection, attempt, payment, expected_status=CREATING)
        if recorded is None:
            answer = _give_up(uow, claimed, attempt, _expired())
            uow.commit()
            return answer, True
        order = orders.get_order(uow, recorded.order_id)
        if order.state in (OrderState.DRAFT, OrderState.PAYMENT_FAILED, OrderState.EXPIRED):
            order = orders.transition(
                uow, order, OrderState.PAYMENT_PENDING, reason="payment_intent_created", actor="checkout"
            )
        body = {"order_id": order.id, **response, **_answer(order.state, order.total, order.currency, recorded)}
        answer = keys.finish(uow.connection, claimed, 201, body)
        uow.commit()
    return answer, False


def _cancel_quietly(provider: PaymentProvider, payment_id: str, attempt_id: str) -> None:
    """Best effort: if this fails and the customer pays anyway, reconciliation finds and refunds the payment."""
    with contextlib.suppress(ProviderError):
        provider.cancel(payment_id, idempotency_key=provider_idempotency_key("cancel", attempt_id))
