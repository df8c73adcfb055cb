"""What the books say after the run: our database's rows and the provider's own records, read once into plain
values so the invariants are pure functions of them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from checkout_engine.chaos.simulator import SimControl
from checkout_engine.db.tables import (
    entitlements,
    inventory,
    inventory_reservations,
    jobs,
    order_events,
    orders,
    payment_attempts,
    pricing_snapshots,
    reconciliation_findings,
    refunds,
    shipment_requests,
)


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: str
    state: str
    total: int
    needs_review: bool = False


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    order_id: str
    kind: str
    from_state: str | None
    to_state: str | None
    provider_event_id: str | None = None


@dataclass(frozen=True, slots=True)
class LineRow:
    order_id: str
    sku: str
    quantity: int
    kind: str  # physical | digital


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: str
    order_id: str
    provider_payment_id: str | None
    status: str
    amount: int
    amount_received: int


@dataclass(frozen=True, slots=True)
class RefundRow:
    id: str
    order_id: str
    attempt_id: str
    amount: int
    status: str
    provider_refund_id: str | None
    requested_by: str = "support"  # "system" when the engine itself decided to give the money back
    reason: str = ""


@dataclass(frozen=True, slots=True)
class StockRow:
    sku: str
    on_hand: int
    reserved: int


@dataclass(frozen=True, slots=True)
class ReservationRow:
    order_id: str
    sku: str
    quantity: int
    status: str  # active | committed | released


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    kind: str
    status: str
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    id: str
    status: str
    amount: int
    amount_received: int
    order_id: str | None  # from the metadata the engine puts on every intent
    attempt_id: str | None


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    id: str
    payment_id: str
    amount: int
    status: str
    refund_id: str | None  # our refund's id, from its metadata


@dataclass(frozen=True, slots=True)
class World:
    """Everything the invariants look at. ``initial_stock`` is what the run seeded."""

    orders: tuple[OrderRow, ...] = ()
    events: tuple[EventRow, ...] = ()
    lines: tuple[LineRow, ...] = ()
    attempts: tuple[AttemptRow, ...] = ()
    refunds: tuple[RefundRow, ...] = ()
    stock: tuple[StockRow, ...] = ()
    reservations: tuple[ReservationRow, ...] = ()
    shipments: Mapping[str, int] = field(default_factory=dict)  # order id: shipment requests
    entitlements: Mapping[str, int] = field(default_factory=dict)  # order id: download grants
    jobs: tuple[JobRow, ...] = ()
    provider_payments: tuple[ProviderPayment, ...] = ()
    provider_refunds: tuple[ProviderRefund, ...] = ()
    initial_stock: Mapping[str, int] = field(default_factory=dict)


def _rows(conn: sa.Connection, query: sa.Select[Any]) -> list[sa.RowMapping]:
    return list(conn.execute(query).mappings())


def _lines(conn: sa.Connection) -> tuple[LineRow, ...]:
    rows = _rows(conn, sa.select(pricing_snapshots.c.order_id, pricing_snapshots.c.payload))
    return tuple(
        LineRow(row["order_id"], line["sku"], int(line["quantity"]), line["kind"])
        for row in rows
        for line in row["payload"]["lines"]
    )


def _per_order(conn: sa.Connection, table: sa.Table) -> dict[str, int]:
    return dict(Counter(row["order_id"] for row in _rows(conn, sa.select(table.c.order_id))))


def load_database(conn: sa.Connection, initial_stock: Mapping[str, int]) -> World:
    R, A = inventory_reservations, payment_attempts
    return World(
        orders=tuple(
            OrderRow(r["id"], r["state"], r["total"], r["needs_review"]) for r in _rows(conn, sa.select(orders))
        ),
        events=tuple(
            EventRow(r["id"], r["order_id"], r["kind"], r["from_state"], r["to_state"], r["provider_event_id"])
            for r in _rows(conn, sa.select(order_events).order_by(order_events.c.id))
        ),
        lines=_lines(conn),
        attempts=tuple(
            AttemptRow(r["id"], r["order_id"], r["provider_payment_id"], r["status"], r["amount"], r["amount_received"])
            for r in _rows(conn, sa.select(A))
        ),
        refunds=tuple(
            RefundRow(
                r["id"],
                r["order_id"],
                r["payment_attempt_id"],
                r["amount"],
                r["status"],
                r["provider_refund_id"],
                r["requested_by"],
                r["reason"],
            )
            for r in _rows(conn, sa.select(refunds))
        ),
        stock=tuple(StockRow(r["sku"], r["on_hand"], r["reserved"]) for r in _rows(conn, sa.select(inventory))),
        reservations=tuple(
            ReservationRow(r["order_id"], r["sku"], r["quantity"], r["status"]) for r in _rows(conn, sa.select(R))
        ),
        shipments=_per_order(conn, shipment_requests),
        entitlements=_per_order(conn, entitlements),
        jobs=tuple(JobRow(r["id"], r["kind"], r["status"], r["last_error"]) for r in _rows(conn, sa.select(jobs))),
        initial_stock=dict(initial_stock),
    )


def findings_by_kind(engine: sa.Engine) -> dict[str, int]:
    """What reconciliation found (and mostly repaired) over the whole run, scheduled runs included."""
    query = sa.select(reconciliation_findings.c.kind, sa.func.count()).group_by(reconciliation_findings.c.kind)
    with engine.connect() as conn:
        return {str(kind): int(count) for kind, count in conn.execute(query)}


def load_provider(sim: SimControl) -> tuple[tuple[ProviderPayment, ...], tuple[ProviderRefund, ...]]:
    payments = tuple(
        ProviderPayment(
            p["id"],
            p["status"],
            int(p["amount"]),
            int(p.get("amount_received") or 0),
            (p.get("metadata") or {}).get("order_id"),
            (p.get("metadata") or {}).get("payment_attempt_id"),
        )
        for p in sim.payment_intents()
    )
    provider_refunds = tuple(
        ProviderRefund(
            r["id"], str(r["payment_intent"]), int(r["amount"]), r["status"], (r.get("metadata") or {}).get("refund_id")
        )
        for r in sim.refunds()
    )
    return payments, provider_refunds


def load(engine: sa.Engine, sim: SimControl, initial_stock: Mapping[str, int]) -> World:
    with engine.connect() as conn:
        world = load_database(conn, initial_stock)
    payments, provider_refunds = load_provider(sim)
    return replace(world, provider_payments=payments, provider_refunds=provider_refunds)
