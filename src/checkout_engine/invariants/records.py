"""Reading the books once into a ``World``: ``load_ours`` reads only our database (what a production self-check
can afford), ``load`` adds the provider's own records (every intent and refund, as the simulator lists them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import (
    coupon_redemptions,
    coupons,
    entitlements,
    inventory,
    inventory_reservations,
    jobs,
    order_events,
    orders,
    payment_attempts,
    pricing_snapshots,
    refunds,
    shipment_requests,
    webhook_events,
)
from checkout_engine.invariants.world import (
    AttemptRow,
    CouponRow,
    EventRow,
    JobRow,
    LineRow,
    OrderRow,
    ProviderPayment,
    ProviderRefund,
    RedemptionRow,
    RefundRow,
    ReservationRow,
    StockRow,
    WebhookRow,
    World,
)
from checkout_engine.payments.providers.stripe import to_payment


class ProviderBooks(Protocol):
    """The provider's side of the books: every payment intent and refund, as Stripe's list API gives them."""

    def payment_intents(self) -> list[dict[str, Any]]: ...

    def refunds(self) -> list[dict[str, Any]]: ...


def _rows(conn: sa.Connection, query: sa.Select[Any]) -> list[sa.RowMapping]:
    return list(conn.execute(query).mappings())


def _orders(conn: sa.Connection) -> tuple[OrderRow, ...]:
    return tuple(
        OrderRow(r["id"], r["state"], r["total"], r["needs_review"], r["expires_at"], r["currency"])
        for r in _rows(conn, sa.select(orders))
    )


def _events(conn: sa.Connection) -> tuple[EventRow, ...]:
    return tuple(
        EventRow(r["id"], r["order_id"], r["kind"], r["from_state"], r["to_state"], r["provider_event_id"], r["reason"])
        for r in _rows(conn, sa.select(order_events).order_by(order_events.c.id))
    )


def _snapshots(conn: sa.Connection) -> tuple[tuple[LineRow, ...], dict[str, str], dict[str, tuple[int, str]]]:
    """Every order's lines, the coupon each snapshot applied, and each snapshot's total and currency."""
    P = pricing_snapshots
    rows = _rows(conn, sa.select(P.c.order_id, P.c.payload, P.c.total, P.c.currency))
    lines = tuple(
        LineRow(row["order_id"], line["sku"], int(line["quantity"]), line["kind"])
        for row in rows
        for line in row["payload"]["lines"]
    )
    applied = {
        row["order_id"]: str(coupon["code"])
        for row in rows
        if (coupon := row["payload"].get("coupon")) and coupon.get("applied")
    }
    return lines, applied, {row["order_id"]: (row["total"], row["currency"]) for row in rows}


def _attempts(conn: sa.Connection) -> tuple[AttemptRow, ...]:
    return tuple(
        AttemptRow(r["id"], r["order_id"], r["provider_payment_id"], r["status"], r["amount"], r["amount_received"])
        for r in _rows(conn, sa.select(payment_attempts))
    )


def _refunds(conn: sa.Connection) -> tuple[RefundRow, ...]:
    return tuple(
        RefundRow(
            r["id"],
            r["order_id"],
            r["payment_attempt_id"],
            r["amount"],
            r["status"],
            r["provider_refund_id"],
            r["requested_by"],
            r["reason"],
            tuple((line["sku"], int(line["quantity"])) for line in r["lines"] or ()),
            r["shipping_amount"] is not None,
            r["approval_id"],
        )
        for r in _rows(conn, sa.select(refunds))
    )


def _stock(conn: sa.Connection) -> tuple[tuple[StockRow, ...], tuple[ReservationRow, ...]]:
    stock = tuple(StockRow(r["sku"], r["on_hand"], r["reserved"]) for r in _rows(conn, sa.select(inventory)))
    holds = tuple(
        ReservationRow(r["order_id"], r["sku"], r["quantity"], r["status"])
        for r in _rows(conn, sa.select(inventory_reservations))
    )
    return stock, holds


def _coupons(conn: sa.Connection) -> tuple[tuple[CouponRow, ...], tuple[RedemptionRow, ...]]:
    limits = tuple(
        CouponRow(r["code"], r["max_redemptions"])
        for r in _rows(conn, sa.select(coupons.c.code, coupons.c.max_redemptions))
    )
    redeemed = tuple(
        RedemptionRow(r["coupon_code"], r["order_id"], r["status"]) for r in _rows(conn, sa.select(coupon_redemptions))
    )
    return limits, redeemed


def _per_order(conn: sa.Connection, table: sa.Table) -> dict[str, int]:
    return dict(Counter(row["order_id"] for row in _rows(conn, sa.select(table.c.order_id))))


def _work(conn: sa.Connection) -> tuple[tuple[JobRow, ...], tuple[WebhookRow, ...]]:
    queued = tuple(
        JobRow(r["id"], r["kind"], r["status"], r["last_error"], r["payload"]) for r in _rows(conn, sa.select(jobs))
    )
    W = webhook_events
    events = tuple(
        WebhookRow(r["id"], r["event_id"], r["type"], r["status"], r["order_id"])
        for r in _rows(conn, sa.select(W.c.id, W.c.event_id, W.c.type, W.c.status, W.c.order_id))
    )
    return queued, events


def load_database(conn: sa.Connection, initial_stock: Mapping[str, int], *, read_at: datetime) -> World:
    lines, applied, priced = _snapshots(conn)
    stock, holds = _stock(conn)
    limits, redeemed = _coupons(conn)
    queued, events = _work(conn)
    return World(
        orders=_orders(conn),
        events=_events(conn),
        lines=lines,
        applied_coupons=applied,
        priced=priced,
        attempts=_attempts(conn),
        refunds=_refunds(conn),
        stock=stock,
        reservations=holds,
        coupons=limits,
        redemptions=redeemed,
        shipments=_per_order(conn, shipment_requests),
        entitlements=_per_order(conn, entitlements),
        jobs=queued,
        webhook_events=events,
        initial_stock=dict(initial_stock),
        read_at=read_at,
    )


def load_ours(
    engine: sa.Engine, *, initial_stock: Mapping[str, int] | None = None, as_of: datetime | None = None
) -> World:
    """Our own books only, in one repeatable-read snapshot. ``as_of`` is the "now" holds are judged against
    (default: the time of reading; a self-check gives the expiry sweep its interval by passing a moment before)."""
    read_at = as_of or utcnow()
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        return load_database(conn, initial_stock or {}, read_at=read_at)


def _provider_payment(intent: dict[str, Any]) -> ProviderPayment:
    metadata = intent.get("metadata") or {}
    return ProviderPayment(
        intent["id"],
        intent["status"],
        int(intent["amount"]),
        int(intent.get("amount_received") or 0),
        metadata.get("order_id"),
        metadata.get("payment_attempt_id"),
        to_payment(intent).status.value,
    )


def load_provider(books: ProviderBooks) -> tuple[tuple[ProviderPayment, ...], tuple[ProviderRefund, ...]]:
    payments = tuple(_provider_payment(intent) for intent in books.payment_intents())
    provider_refunds = tuple(
        ProviderRefund(
            r["id"], str(r["payment_intent"]), int(r["amount"]), r["status"], (r.get("metadata") or {}).get("refund_id")
        )
        for r in books.refunds()
    )
    return payments, provider_refunds


def load(engine: sa.Engine, books: ProviderBooks, initial_stock: Mapping[str, int]) -> World:
    """Ours first, then the provider's: anything that moves in between shows as the provider ahead of our books
    (the direction a payment takes anyway), never as our books ahead of the provider."""
    world = load_ours(engine, initial_stock=initial_stock)
    payments, provider_refunds = load_provider(books)
    return replace(world, provider_payments=payments, provider_refunds=provider_refunds)
