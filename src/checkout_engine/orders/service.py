"""Order commands: creating an order from a frozen snapshot, and moving it through the state machine.

Every change writes the order row (compare-and-set on its version) and appends its event in the caller's unit
of work, so either both happen or neither does; a racing writer gets ``TransitionConflict``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from checkout_engine.clock import utcnow
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import NotFound
from checkout_engine.ids import new_id
from checkout_engine.orders import repository as repo
from checkout_engine.orders.model import EventKind, Order, OrderState, TransitionConflict, check_transition
from checkout_engine.outgoing import emit as outgoing
from checkout_engine.outgoing.model import EventType
from checkout_engine.pricing.snapshot import PricingSnapshot

ORDER_TOKEN_BYTES = 32  # 256 bits: the customer's capability to see their order


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), token_hash)


def create_order(
    uow: UnitOfWork,
    *,
    cart_id: str,
    snapshot: PricingSnapshot,
    customer_id: str | None,
    email: str | None,
    expires_at: datetime | None = None,
) -> tuple[Order, str]:
    """A new ``draft`` order holding ``snapshot``; returns it with its lookup token (shown once, stored hashed)."""
    now = utcnow()
    order = Order(
        id=new_id("ord"),
        cart_id=cart_id,
        state=OrderState.DRAFT,
        version=1,
        needs_review=False,
        review_reason=None,
        currency=snapshot.currency,
        total=snapshot.total,
        customer_id=customer_id,
        email=email,
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
    )
    token = secrets.token_urlsafe(ORDER_TOKEN_BYTES)
    repo.insert_order(uow.connection, order, token_hash=hash_token(token), snapshot=snapshot)
    repo.append_event(
        uow.connection,
        order.id,
        kind=EventKind.TRANSITION,
        states=(None, OrderState.DRAFT),
        reason="order_created",
        actor="checkout",
        provider_event_id=None,
    )
    return order, token


def get_order(uow: UnitOfWork, order_id: str, *, for_update: bool = False) -> Order:
    order = repo.get_order(uow.connection, order_id, for_update=for_update)
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    return order


def transition(
    uow: UnitOfWork, order: Order, to: OrderState, *, reason: str, actor: str, provider_event_id: str | None = None
) -> Order:
    """Move ``order`` (as read) to ``to``. Invalid moves raise ``InvalidTransition``; a lost race raises
    ``TransitionConflict`` and changes nothing."""
    check_transition(order.state, to)
    updated = repo.compare_and_set(uow.connection, order, state=to.value)
    if updated is None:
        raise _conflict(order)
    repo.append_event(
        uow.connection,
        order.id,
        kind=EventKind.TRANSITION,
        states=(order.state, to),
        reason=reason,
        actor=actor,
        provider_event_id=provider_event_id,
    )
    outgoing.on_transition(uow.connection, updated)
    return updated


def flag_for_review(uow: UnitOfWork, order: Order, *, reason: str, actor: str) -> Order:
    updated = repo.compare_and_set(uow.connection, order, needs_review=True, review_reason=reason)
    if updated is None:
        raise _conflict(order)
    repo.append_event(
        uow.connection,
        order.id,
        kind=EventKind.REVIEW_FLAGGED,
        states=(order.state, order.state),
        reason=reason,
        actor=actor,
        provider_event_id=None,
    )
    if not order.needs_review:
        outgoing.emit(uow.connection, updated, EventType.ORDER_NEEDS_REVIEW)
    return updated


def clear_review(uow: UnitOfWork, order: Order, *, reason: str, actor: str) -> Order:
    updated = repo.compare_and_set(uow.connection, order, needs_review=False, review_reason=None)
    if updated is None:
        raise _conflict(order)
    repo.append_event(
        uow.connection,
        order.id,
        kind=EventKind.REVIEW_CLEARED,
        states=(order.state, order.state),
        reason=reason,
        actor=actor,
        provider_event_id=None,
    )
    return updated


def _conflict(order: Order) -> TransitionConflict:
    return TransitionConflict(
        "The order changed while this request was being handled; read it again and retry.",
        details={"order_id": order.id, "expected_version": order.version},
    )
