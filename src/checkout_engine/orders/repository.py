"""SQL for orders, snapshots and events. Functions take the unit of work's connection; none of them commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import (
    coupon_redemptions,
    inventory_reservations,
    order_events,
    orders,
    pricing_snapshots,
)
from checkout_engine.observability import tracing
from checkout_engine.orders.model import EventKind, Order, OrderEvent, OrderState
from checkout_engine.pricing.snapshot import PricingSnapshot


def insert_order(conn: sa.Connection, order: Order, *, token_hash: str, snapshot: PricingSnapshot) -> None:
    conn.execute(
        orders.insert(),
        dict(
            id=order.id,
            cart_id=order.cart_id,
            state=order.state.value,
            version=order.version,
            needs_review=order.needs_review,
            review_reason=order.review_reason,
            currency=order.currency,
            total=order.total,
            customer_id=order.customer_id,
            email=order.email,
            token_hash=token_hash,
            trace_parent=tracing.traceparent(),  # the checkout's trace, which its fulfilment joins
            expires_at=order.expires_at,
            created_at=order.created_at,
            updated_at=order.updated_at,
        ),
    )
    conn.execute(
        pricing_snapshots.insert(),
        dict(
            order_id=order.id,
            currency=snapshot.currency,
            total=snapshot.total,
            payload=snapshot.payload,
            hash=snapshot.hash,
            created_at=order.created_at,
        ),
    )


def _order(row: sa.RowMapping) -> Order:
    return Order(
        id=row["id"],
        cart_id=row["cart_id"],
        state=OrderState(row["state"]),
        version=row["version"],
        needs_review=row["needs_review"],
        review_reason=row["review_reason"],
        currency=row["currency"],
        total=row["total"],
        customer_id=row["customer_id"],
        email=row["email"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        expires_at=row["expires_at"],
    )


def get_order(conn: sa.Connection, order_id: str, *, for_update: bool = False) -> Order | None:
    """The order; ``for_update`` locks its row so commands on one order (refunds) queue up instead of racing."""
    query = sa.select(orders).where(orders.c.id == order_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _order(row) if row else None


def compare_and_set(conn: sa.Connection, order: Order, **changes: Any) -> Order | None:
    """Apply ``changes`` only if the order is still at ``order.version``; None when another writer got there first."""
    now = utcnow()
    result = conn.execute(
        orders.update()
        .where(orders.c.id == order.id, orders.c.version == order.version)
        .values(**changes, version=order.version + 1, updated_at=now)
        .returning(*orders.c)
    )
    row = result.mappings().first()
    return _order(row) if row else None


def append_event(
    conn: sa.Connection,
    order_id: str,
    *,
    kind: EventKind,
    states: tuple[OrderState | None, OrderState | None],
    reason: str,
    actor: str,
    provider_event_id: str | None,
) -> None:
    from_state, to_state = states
    conn.execute(
        order_events.insert(),
        dict(
            order_id=order_id,
            kind=kind.value,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value if to_state else None,
            reason=reason,
            actor=actor,
            provider_event_id=provider_event_id,
            at=utcnow(),
        ),
    )


def events_for(conn: sa.Connection, order_id: str) -> list[OrderEvent]:
    rows = conn.execute(
        sa.select(order_events).where(order_events.c.order_id == order_id).order_by(order_events.c.id)
    ).mappings()
    return [
        OrderEvent(
            id=row["id"],
            order_id=row["order_id"],
            kind=EventKind(row["kind"]),
            from_state=OrderState(row["from_state"]) if row["from_state"] else None,
            to_state=OrderState(row["to_state"]) if row["to_state"] else None,
            reason=row["reason"],
            actor=row["actor"],
            provider_event_id=row["provider_event_id"],
            at=row["at"],
        )
        for row in rows
    ]


def trace_parent(conn: sa.Connection, order_id: str) -> str | None:
    """The trace of the order's checkout (None when it was not traced)."""
    found: str | None = conn.execute(sa.select(orders.c.trace_parent).where(orders.c.id == order_id)).scalar()
    return found


def snapshot_for(conn: sa.Connection, order_id: str) -> PricingSnapshot | None:
    row = conn.execute(sa.select(pricing_snapshots).where(pricing_snapshots.c.order_id == order_id)).mappings().first()
    if row is None:
        return None
    return PricingSnapshot(currency=row["currency"], total=row["total"], payload=row["payload"], hash=row["hash"])


def expired_unpaid(
    conn: sa.Connection, *, states: Iterable[OrderState], ended: Iterable[OrderState], now: datetime, limit: int
) -> list[str]:
    """Orders in ``states`` past their hold's expiry, and orders in ``ended`` still holding stock or a coupon past
    it (held again by a new attempt that never took over)."""
    holding = sa.or_(
        sa.exists().where(
            inventory_reservations.c.order_id == orders.c.id, inventory_reservations.c.status == "active"
        ),
        sa.exists().where(coupon_redemptions.c.order_id == orders.c.id, coupon_redemptions.c.status == "reserved"),
    )
    rows = conn.execute(
        sa.select(orders.c.id)
        .where(
            orders.c.expires_at <= now,
            sa.or_(
                orders.c.state.in_([state.value for state in states]),
                sa.and_(orders.c.state.in_([state.value for state in ended]), holding),
            ),
        )
        .order_by(orders.c.expires_at)
        .limit(limit)
    )
    return [row[0] for row in rows]


def recent_count(conn: sa.Connection, *, customer_id: str | None, email: str | None, since: datetime) -> int:
    """Orders placed since ``since`` by this customer or with this email."""
    who = []
    if customer_id:
        who.append(orders.c.customer_id == customer_id)
    if email:
        who.append(sa.func.lower(orders.c.email) == email.lower())
    if not who:
        return 0
    query = sa.select(sa.func.count()).select_from(orders).where(orders.c.created_at >= since, sa.or_(*who))
    return int(conn.execute(query).scalar_one())


def order_for_cart(conn: sa.Connection, cart_id: str) -> Order | None:
    """The cart's live order (not one cancelled when its checkout gave up)."""
    query = sa.select(orders).where(orders.c.cart_id == cart_id, orders.c.state != OrderState.CANCELLED.value)
    row = conn.execute(query).mappings().first()
    return _order(row) if row else None


def token_hash(conn: sa.Connection, order_id: str) -> str | None:
    return conn.execute(sa.select(orders.c.token_hash).where(orders.c.id == order_id)).scalar()
