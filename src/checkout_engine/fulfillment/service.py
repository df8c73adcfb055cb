"""The fulfilment job and the download check. Every write is guarded by a unique constraint, so running the job
twice (a worker crashed after writing) grants one entitlement and requests one shipment."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import entitlements, order_events, shipment_requests
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.db.upsert import dialect_insert
from checkout_engine.errors import NotFound
from checkout_engine.jobs.worker import JobContext
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import FULFILLABLE, KEEPS_MONEY, Order, OrderState
from checkout_engine.outgoing import emit as outgoing
from checkout_engine.outgoing.model import EventType
from checkout_engine.refunds import service as refunds
from checkout_engine.settings import Settings

FULFILL_ORDER = "fulfill_order"
GRANT_TOKEN_BYTES = 32


def started(conn: sa.Connection, order_id: str) -> bool:
    """Whether fulfilment ever began: the state may since speak of a refund, the history still tells."""
    query = sa.select(order_events.c.id).where(
        order_events.c.order_id == order_id, order_events.c.to_state == OrderState.FULFILLMENT_PENDING.value
    )
    return conn.execute(query.limit(1)).first() is not None


def _may_fulfill(order: Order, *, began: bool) -> bool:
    return order.state in FULFILLABLE and (order.state is not OrderState.PARTIALLY_REFUNDED or not began)


def may_fulfill(conn: sa.Connection, order: Order) -> bool:
    """Paid, not given back in full, and never delivered: a partial refund does not cancel the delivery."""
    return order.state in FULFILLABLE and _may_fulfill(order, began=started(conn, order.id))


def status(conn: sa.Connection, order: Order) -> str:
    """Where delivery stands, whatever the state says of refunds since (the history is read once, so the answer
    never mixes two moments)."""
    if order.state is OrderState.PARTIALLY_FULFILLED:
        return "partially_fulfilled"
    if order.state is OrderState.FULFILLMENT_PENDING:
        return "pending"
    began = started(conn, order.id)
    if began:
        return "fulfilled"
    return "pending" if _may_fulfill(order, began=began) else "not_started"


def fulfill(context: JobContext, payload: dict[str, Any]) -> None:
    order_id = str(payload["order_id"])
    with UnitOfWork(context.engine) as uow:
        order = orders.get_order(uow, order_id)
        if order.needs_review or not may_fulfill(uow.connection, order):
            return  # a person must look first, or it is done / refunded already
        if order.state is not OrderState.FULFILLMENT_PENDING:
            order = orders.transition(
                uow, order, OrderState.FULFILLMENT_PENDING, reason="fulfillment_started", actor="worker"
            )
        snapshot = orders_repo.snapshot_for(uow.connection, order_id)
        assert snapshot is not None
        lines = snapshot.payload["lines"]
        for line in (line for line in lines if line["kind"] == "digital"):
            _grant(uow.connection, order_id, line["sku"], context.settings)
        physical = [{"sku": line["sku"], "quantity": line["quantity"]} for line in lines if line["kind"] == "physical"]
        if physical:
            address = snapshot.payload.get("shipping_address") or {}
            if _request_shipment(uow.connection, order_id, physical, address):
                data = {"lines": physical, "shipping_address": address}
                outgoing.emit(uow.connection, order, EventType.ORDER_FULFILLMENT_REQUESTED, data)
        orders.transition(uow, order, OrderState.FULFILLED, reason="fulfillment_done", actor="worker")
        # A part refunded while the goods were on their way is said again once they are delivered.
        refunds.settle_order(uow, order_id, provider_event_id=None)
        uow.commit()


def _grant(conn: sa.Connection, order_id: str, sku: str, settings: Settings) -> None:
    now = utcnow()
    conn.execute(
        dialect_insert(conn, entitlements)
        .values(
            order_id=order_id,
            sku=sku,
            grant_token=secrets.token_urlsafe(GRANT_TOKEN_BYTES),
            license_key=secrets.token_hex(16).upper(),
            download_limit=settings.download_limit,
            downloads_used=0,
            expires_at=now + timedelta(days=settings.download_window_days),
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["order_id", "sku"])
    )


def _request_shipment(conn: sa.Connection, order_id: str, lines: list[dict[str, Any]], address: dict[str, Any]) -> bool:
    """The record a shop's warehouse or 3PL integration picks up; one per order (False: it was written before)."""
    made = conn.execute(
        dialect_insert(conn, shipment_requests)
        .values(order_id=order_id, lines=lines, address=address, status="requested", created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["order_id"])
        .returning(shipment_requests.c.id)
    )
    return made.first() is not None


def withdraw_shipment(conn: sa.Connection, order_id: str) -> bool:
    """The order was cancelled before the warehouse shipped it: its request is withdrawn (False: none to withdraw)."""
    withdrawn = conn.execute(
        shipment_requests.update()
        .where(shipment_requests.c.order_id == order_id, shipment_requests.c.status == "requested")
        .values(status="cancelled")
        .returning(shipment_requests.c.id)
    )
    return withdrawn.first() is not None


def grants_for(conn: sa.Connection, order_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(entitlements).where(entitlements.c.order_id == order_id).order_by(entitlements.c.sku))
    return [
        {
            "sku": row.sku,
            "grant_token": row.grant_token,
            "expires_at": row.expires_at.isoformat(),
            "downloads_left": row.download_limit - row.downloads_used,
        }
        for row in rows
    ]


def download(uow: UnitOfWork, grant_token: str) -> dict[str, Any]:
    """Use one download of an active grant; anything else is a 404 that tells nothing."""
    conn = uow.connection
    row = conn.execute(sa.select(entitlements).where(entitlements.c.grant_token == grant_token)).first()
    missing = NotFound("No such download.", code="download_not_found")
    if row is None or row.expires_at <= utcnow():
        raise missing
    order = orders_repo.get_order(conn, row.order_id)
    if order is None or order.state not in KEEPS_MONEY:
        raise missing
    used = conn.execute(
        entitlements.update()
        .where(entitlements.c.id == row.id, entitlements.c.downloads_used < entitlements.c.download_limit)
        .values(downloads_used=entitlements.c.downloads_used + 1)
        .returning(entitlements.c.downloads_used)
    ).scalar()
    if used is None:
        raise missing
    return {
        "sku": row.sku,
        "order_id": row.order_id,
        "license_key": row.license_key,
        "downloads_left": row.download_limit - used,
    }
