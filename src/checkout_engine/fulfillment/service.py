"""The fulfilment job and the download check. Every write is guarded by a unique constraint, so running the job
twice (a worker crashed after writing) grants one entitlement and requests one shipment."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import entitlements, shipment_requests
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.db.upsert import dialect_insert
from checkout_engine.errors import NotFound
from checkout_engine.jobs.worker import JobContext
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import OrderState
from checkout_engine.settings import Settings

FULFILL_ORDER = "fulfill_order"
GRANT_TOKEN_BYTES = 32
ENTITLED_STATES = frozenset(
    {
        OrderState.PAID,
        OrderState.FULFILLMENT_PENDING,
        OrderState.PARTIALLY_FULFILLED,
        OrderState.FULFILLED,
        OrderState.PARTIALLY_REFUNDED,
    }
)


def fulfill(context: JobContext, payload: dict[str, Any]) -> None:
    order_id = str(payload["order_id"])
    with UnitOfWork(context.engine) as uow:
        order = orders.get_order(uow, order_id)
        if order.needs_review or order.state not in (OrderState.PAID, OrderState.FULFILLMENT_PENDING):
            return  # a person must look first, or it is done / refunded already
        if order.state is OrderState.PAID:
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
            _request_shipment(uow.connection, order_id, physical, snapshot.payload.get("shipping_address") or {})
        orders.transition(uow, order, OrderState.FULFILLED, reason="fulfillment_done", actor="worker")
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


def _request_shipment(conn: sa.Connection, order_id: str, lines: list[dict[str, Any]], address: dict[str, Any]) -> None:
    """The record a shop's warehouse or 3PL integration picks up; one per order."""
    conn.execute(
        dialect_insert(conn, shipment_requests)
        .values(order_id=order_id, lines=lines, address=address, status="requested", created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["order_id"])
    )


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
    if order is None or order.state not in ENTITLED_STATES:
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
