"""The idempotent checkout and payment-attempt commands, and the completer for requests that stopped half-way.

Phases (each commits with the recovery point it reached, on the idempotency key):
``started`` -> (order, snapshot, holds, coupon, attempt row) -> ``order_created`` -> (provider intent, order
``payment_pending``, stored answer) -> ``finished``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from checkout_engine.cart import service as carts
from checkout_engine.checkout import intent_phase, order_phase
from checkout_engine.checkout.model import ORDER_CREATED, Hooks, NoHooks
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import CheckoutError, NotFound, error_response
from checkout_engine.idempotency import repository as keys
from checkout_engine.idempotency.model import STARTED, Claimed, IdempotentRequest, Outcome, Replay
from checkout_engine.observability.metrics import CHECKOUTS
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders.model import TransitionConflict
from checkout_engine.orders.service import token_matches
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings

RESPONSE_FIELDS = ("order_token", "reservation_expires_at")


def _claim(
    engine: Engine, request: IdempotentRequest, settings: Settings, precondition: Callable[[UnitOfWork], None]
) -> Claimed | Replay:
    """``precondition`` runs first in the same transaction: when it raises (no such cart), no key is stored."""
    with UnitOfWork(engine) as uow:
        precondition(uow)
        result = keys.claim(uow.connection, request, lock_timeout=settings.key_lock())
        uow.commit()
    return result


def _outcome(result: Replay, *, replayed: bool) -> Outcome:
    return Outcome(result.status, result.raw, replayed=replayed)


def _run(engine: Engine, provider: PaymentProvider, claimed: Claimed, settings: Settings, hooks: Hooks) -> Replay:
    attempt: PaymentAttempt | None = None  # known without a read when this request created it just now
    if claimed.record.recovery_point == STARTED:
        failure: Exception | None = None
        with UnitOfWork(engine) as uow:
            try:
                data, attempt = _first_phase(uow, claimed, settings, provider)
                claimed = keys.advance(uow.connection, claimed, ORDER_CREATED, data)
                uow.commit()
            except Exception as error:  # handled below, once the failed transaction has let go of its connection
                failure = error
        if isinstance(failure, CheckoutError) and not isinstance(failure, TransitionConflict):
            status, body = error_response(failure)  # a final answer: stored, replayed to every retry
            return _finish(engine, claimed, status, body)
        if failure is not None:  # transient or unexpected: let a retry with the same key start again at once
            keys.release(engine, claimed)
            raise failure
        hooks.reached(ORDER_CREATED)
    response = {
        name: claimed.record.recovery_data[name] for name in RESPONSE_FIELDS if name in claimed.record.recovery_data
    }
    return intent_phase.create_intent(
        engine,
        provider,
        claimed,
        hooks=hooks,
        response=response,
        manual_capture=settings.capture_method == "manual",
        reservation_ttl=settings.reservation_ttl(),
        fresh_attempt=attempt,
    )


def _first_phase(
    uow: UnitOfWork, claimed: Claimed, settings: Settings, provider: PaymentProvider
) -> tuple[dict[str, object], PaymentAttempt]:
    params = claimed.record.request_params
    if "cart_id" in params:
        return order_phase.create_order(
            uow,
            cart_id=params["cart_id"],
            expected_total=params.get("expected_total"),
            settings=settings,
            minimum_charge=provider.minimum_charge,
        )
    return order_phase.reopen_order(uow, order_id=params["order_id"], settings=settings)


def _finish(engine: Engine, claimed: Claimed, status: int, body: dict[str, object]) -> Replay:
    with UnitOfWork(engine) as uow:
        result = keys.finish(uow.connection, claimed, status, body)
        uow.commit()
    return result


def checkout(
    engine: Engine,
    provider: PaymentProvider,
    settings: Settings,
    *,
    cart_id: str,
    key: str,
    expected_total: int | None,
    hooks: Hooks | None = None,
) -> Outcome:
    params = {"cart_id": cart_id, "expected_total": expected_total}
    request = IdempotentRequest(f"cart:{cart_id}", key, "POST", f"/v1/carts/{cart_id}/checkout", params)
    claimed = _claim(engine, request, settings, lambda uow: carts.require_cart(uow, cart_id))
    if isinstance(claimed, Replay):
        return _outcome(claimed, replayed=True)
    answer = _run(engine, provider, claimed, settings, hooks or NoHooks())
    if answer.status == 201:
        CHECKOUTS.inc()
    return _outcome(answer, replayed=False)


def new_payment_attempt(
    engine: Engine,
    provider: PaymentProvider,
    settings: Settings,
    *,
    order_id: str,
    order_token: str | None,
    key: str,
    hooks: Hooks | None = None,
) -> Outcome:

    def token_holder(uow: UnitOfWork) -> None:
        stored = orders_repo.token_hash(uow.connection, order_id)
        if stored is None or not order_token or not token_matches(order_token, stored):
            raise NotFound("No such order.", code="order_not_found")

    request = IdempotentRequest(
        f"order:{order_id}", key, "POST", f"/v1/orders/{order_id}/payment-attempts", {"order_id": order_id}
    )
    claimed = _claim(engine, request, settings, token_holder)
    if isinstance(claimed, Replay):
        return _outcome(claimed, replayed=True)
    return _outcome(_run(engine, provider, claimed, settings, hooks or NoHooks()), replayed=False)


def complete_abandoned(engine: Engine, provider: PaymentProvider, settings: Settings, key_id: int) -> bool:
    """Finish a request whose client went away between phases. False when someone else holds the key."""
    with UnitOfWork(engine) as uow:
        claimed = keys.take_over(uow.connection, key_id, lock_timeout=settings.key_lock())
        uow.commit()
    if claimed is None or claimed.record.recovery_point != ORDER_CREATED:
        return False
    _run(engine, provider, claimed, settings, NoHooks())
    return True
