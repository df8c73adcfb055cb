"""The idempotent checkout and payment-attempt commands, and the completer for requests that stopped half-way.

Two transactions, each committing the recovery point it reached on the idempotency key: the key is claimed and
phase one (order, snapshot, holds, coupon, attempt row) runs in the first, which ends at ``order_created``; after the
provider call, outside any transaction, the second records the intent, moves the order to ``payment_pending`` and
stores the answer (``finished``).
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
from checkout_engine.idempotency.model import (
    STARTED,
    Claimed,
    IdempotentRequest,
    Outcome,
    Replay,
    key_in_use,
)
from checkout_engine.observability.metrics import CHECKOUTS
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders.model import TransitionConflict
from checkout_engine.orders.service import token_matches
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.provider import PaymentProvider
from checkout_engine.settings import Settings

RESPONSE_FIELDS = ("order_token", "reservation_expires_at")


def _outcome(result: Replay, *, replayed: bool) -> Outcome:
    return Outcome(result.status, result.raw, replayed=replayed)


def _begin(
    engine: Engine,
    provider: PaymentProvider,
    request: IdempotentRequest,
    settings: Settings,
    precondition: Callable[[UnitOfWork], None],
    hooks: Hooks,
) -> Outcome | tuple[Claimed, PaymentAttempt | None]:
    """Claim the key and, for a new request, run phase one in the same transaction, so the key is stored with the
    order it made or not at all: one commit. ``precondition`` runs first (no such cart: nothing is stored). The
    answer when there is one already (a replay, a refusal); else the claim, with the attempt phase one made."""
    refusal: CheckoutError | None = None
    with UnitOfWork(engine) as uow:
        precondition(uow)
        claimed = keys.claim(uow.connection, request, lock_timeout=settings.key_lock())
        if isinstance(claimed, Replay):
            return _outcome(claimed, replayed=True)
        if claimed.record.recovery_point != STARTED:  # resuming a request that stopped after phase one
            uow.commit()
            return claimed, None
        try:
            place = _plan(uow, claimed, provider)
        except TransitionConflict:
            raise  # transient: nothing is stored, a retry with the same key starts again at once
        except CheckoutError as error:  # refused on what was read, nothing written but the key: answered at once
            status, body = error_response(error)
            answer = keys.finish(uow.connection, claimed, status, body)
            uow.commit()
            return _outcome(answer, replayed=False)
        try:
            data, attempt = place(settings)
        except TransitionConflict:
            raise
        except CheckoutError as error:
            refusal = error  # its writes roll back with the transaction; the answer is stored below
        else:
            claimed = keys.advance(uow.connection, claimed, ORDER_CREATED, data)
            uow.commit()
    if refusal is not None:
        return _refuse(engine, request, settings, refusal)
    hooks.reached(ORDER_CREATED)
    return claimed, attempt


def _refuse(engine: Engine, request: IdempotentRequest, settings: Settings, refusal: CheckoutError) -> Outcome:
    """A final refusal that came after phase one wrote (the last unit taken since the quote was read) is the key's
    answer, replayed to every retry: stored in a transaction of its own once the phase's writes rolled back."""
    status, body = error_response(refusal)
    with UnitOfWork(engine) as uow:
        claimed = keys.claim(uow.connection, request, lock_timeout=settings.key_lock())
        if isinstance(claimed, Replay):  # another request with this key answered it meanwhile
            return _outcome(claimed, replayed=True)
        if claimed.record.recovery_point != STARTED:  # and that one made an order: it is its to finish
            raise key_in_use(request.key)
        answer = keys.finish(uow.connection, claimed, status, body)
        uow.commit()
    return _outcome(answer, replayed=False)


def _second_phase(
    engine: Engine,
    provider: PaymentProvider,
    claimed: Claimed,
    settings: Settings,
    hooks: Hooks,
    attempt: PaymentAttempt | None = None,
    *,
    first_of_order: bool = False,
) -> Replay:
    """The provider intent and the answer. ``attempt``: known without a read when phase one made it just now;
    ``first_of_order``: with the order, which has no other attempt."""
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
        first_of_order=first_of_order,
    )


def _plan(
    uow: UnitOfWork, claimed: Claimed, provider: PaymentProvider
) -> Callable[[Settings], tuple[dict[str, object], PaymentAttempt]]:
    """Phase one's reads and judgement (refusals raise here, before any write); returns its writes, to run next."""
    params = claimed.record.request_params
    if "cart_id" in params:
        plan = order_phase.plan_order(
            uow,
            cart_id=params["cart_id"],
            expected_total=params.get("expected_total"),
            minimum_charge=provider.minimum_charge,
        )
        return lambda settings: order_phase.create_order(uow, plan, settings=settings)
    order = order_phase.plan_reopen(uow, order_id=params["order_id"])
    return lambda settings: order_phase.reopen_order(uow, order, settings=settings)


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
    hooks = hooks or NoHooks()
    started = _begin(engine, provider, request, settings, lambda uow: carts.require_cart(uow, cart_id), hooks)
    if isinstance(started, Outcome):
        return started
    claimed, attempt = started  # an attempt made just now is its new order's first
    answer = _second_phase(engine, provider, claimed, settings, hooks, attempt, first_of_order=attempt is not None)
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
    hooks = hooks or NoHooks()
    started = _begin(engine, provider, request, settings, token_holder, hooks)
    if isinstance(started, Outcome):
        return started
    claimed, attempt = started
    return _outcome(_second_phase(engine, provider, claimed, settings, hooks, attempt), replayed=False)


def complete_abandoned(engine: Engine, provider: PaymentProvider, settings: Settings, key_id: int) -> bool:
    """Finish a request whose client went away between phases. False when someone else holds the key."""
    with UnitOfWork(engine) as uow:
        claimed = keys.take_over(uow.connection, key_id, lock_timeout=settings.key_lock())
        uow.commit()
    if claimed is None or claimed.record.recovery_point != ORDER_CREATED:
        return False
    _second_phase(engine, provider, claimed, settings, NoHooks())
    return True
