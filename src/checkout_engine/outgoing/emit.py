"""Writing an event about an order, in the transaction of the change that caused it: the event once (its id, its
body and the order's next sequence number) and a delivery, with its job, to each active endpoint that wants the type.
Nothing is written when no endpoint wants it. A change rolled back takes its event with it."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import orders, outgoing_events, webhook_deliveries, webhook_endpoints
from checkout_engine.ids import new_id
from checkout_engine.jobs import repository as jobs
from checkout_engine.orders.model import Order, OrderState
from checkout_engine.outgoing.model import EventType

DELIVER_WEBHOOK = "deliver_webhook"
S = OrderState
ON_TRANSITION = {
    S.PAID: EventType.ORDER_PAID,
    S.FULFILLED: EventType.ORDER_FULFILLED,
    S.CANCELLED: EventType.ORDER_CANCELLED,
    S.CANCELLED_WITH_REFUND: EventType.ORDER_CANCELLED,
    S.PAYMENT_FAILED: EventType.PAYMENT_FAILED,
}


def order_payload(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "object": "order",
        "state": order.state.value,
        "total": order.total,
        "currency": order.currency,
        "email": order.email,
        "customer_id": order.customer_id,
        "needs_review": order.needs_review,
        "review_reason": order.review_reason,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


def _wanting(conn: sa.Connection, event_type: EventType) -> list[str]:
    rows = conn.execute(sa.select(webhook_endpoints.c.id, webhook_endpoints.c.events).where(webhook_endpoints.c.active))
    return [row.id for row in rows if event_type.value in row.events]


def emit(conn: sa.Connection, order: Order, event_type: EventType, data: dict[str, Any] | None = None) -> str | None:
    """The event's id, or None when no endpoint wants the type."""
    endpoints = _wanting(conn, event_type)
    if not endpoints:
        return None
    # The order's row lock orders its events: the sequence numbers grow in the order the changes commit.
    conn.execute(sa.select(orders.c.id).where(orders.c.id == order.id).with_for_update())
    last = conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(outgoing_events.c.sequence), 0)).where(
            outgoing_events.c.order_id == order.id
        )
    ).scalar_one()
    now = utcnow()
    event_id = new_id("evt")
    sequence = int(last) + 1
    body = {
        "id": event_id,
        "object": "event",
        "type": event_type.value,
        "created": int(now.timestamp()),
        "sequence": sequence,
        "data": {"order": order_payload(order), **(data or {})},
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    conn.execute(
        outgoing_events.insert().values(
            id=event_id, type=event_type.value, order_id=order.id, sequence=sequence, body=raw, created_at=now
        )
    )
    for endpoint_id in endpoints:
        delivery_id = conn.execute(
            webhook_deliveries.insert()
            .values(
                endpoint_id=endpoint_id,
                event_id=event_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .returning(webhook_deliveries.c.id)
        ).scalar_one()
        enqueue_delivery(conn, int(delivery_id))
    return event_id


def enqueue_delivery(conn: sa.Connection, delivery_id: int) -> bool:
    return jobs.enqueue(
        conn, DELIVER_WEBHOOK, {"delivery_id": delivery_id}, dedupe_key=f"{DELIVER_WEBHOOK}:{delivery_id}"
    )


def on_transition(conn: sa.Connection, order: Order) -> None:
    """The event a state change tells the shop's systems, if any (``order`` as it now is)."""
    event_type = ON_TRANSITION.get(order.state)
    if event_type is not None:
        emit(conn, order, event_type)
