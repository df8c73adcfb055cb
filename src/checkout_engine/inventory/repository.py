"""SQL for reservations. The guarded statements here are what keeps stock from ever being oversold."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import inventory, inventory_reservations
from checkout_engine.inventory.model import Reservation, ReservationStatus

R = inventory_reservations


def hold(conn: sa.Connection, sku: str, quantity: int) -> bool:
    """Guarded increment of ``reserved``: succeeds only while ``on_hand - reserved >= quantity``."""
    result = conn.execute(
        inventory.update()
        .where(inventory.c.sku == sku, inventory.c.on_hand - inventory.c.reserved >= quantity)
        .values(reserved=inventory.c.reserved + quantity, updated_at=utcnow())
        .returning(inventory.c.sku)
    )
    return result.first() is not None


def is_tracked(conn: sa.Connection, sku: str) -> bool:
    return conn.execute(sa.select(inventory.c.sku).where(inventory.c.sku == sku)).first() is not None


def insert(conn: sa.Connection, *, order_id: str, sku: str, quantity: int, expires_at: datetime) -> None:
    conn.execute(
        R.insert(),
        dict(
            order_id=order_id,
            sku=sku,
            quantity=quantity,
            status=ReservationStatus.ACTIVE.value,
            expires_at=expires_at,
            created_at=utcnow(),
        ),
    )


def for_order(conn: sa.Connection, order_id: str) -> list[Reservation]:
    rows = conn.execute(sa.select(R).where(R.c.order_id == order_id).order_by(R.c.sku, R.c.id)).mappings()
    return [
        Reservation(
            row["id"], row["order_id"], row["sku"], row["quantity"], ReservationStatus(row["status"]), row["expires_at"]
        )
        for row in rows
    ]


def settle_active(conn: sa.Connection, order_id: str, to: ReservationStatus) -> list[Reservation]:
    """Move the order's active reservations to committed or released, once (a second caller finds none), and take
    their units off ``reserved`` (and, committed, off ``on_hand``): one guarded statement for the holds, one per SKU."""
    now = utcnow()
    rows = conn.execute(
        R.update()
        .where(R.c.order_id == order_id, R.c.status == ReservationStatus.ACTIVE.value)
        .values(status=to.value, settled_at=now)
        .returning(R.c.id, R.c.sku, R.c.quantity, R.c.expires_at)
    ).all()
    settled = sorted(
        (Reservation(row.id, order_id, row.sku, row.quantity, to, row.expires_at) for row in rows),
        key=lambda reservation: (reservation.sku, reservation.id),  # stock rows are locked in SKU order, always
    )
    committed = to is ReservationStatus.COMMITTED
    for reservation in settled:
        on_hand = inventory.c.on_hand - reservation.quantity if committed else inventory.c.on_hand
        conn.execute(
            inventory.update()
            .where(inventory.c.sku == reservation.sku)
            .values(reserved=inventory.c.reserved - reservation.quantity, on_hand=on_hand, updated_at=now)
        )
    return settled


def skus_sorted(lines: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """Always lock rows in SKU order, so two multi-line checkouts can never wait on each other in a cycle."""
    return sorted(lines)


def return_committed(conn: sa.Connection, order_id: str) -> list[Reservation]:
    """Put the units a paid order took back on hand (it was cancelled before delivery), once: its committed
    reservations become released."""
    now = utcnow()
    rows = conn.execute(
        R.update()
        .where(R.c.order_id == order_id, R.c.status == ReservationStatus.COMMITTED.value)
        .values(status=ReservationStatus.RELEASED.value, settled_at=now)
        .returning(R.c.id, R.c.sku, R.c.quantity, R.c.expires_at)
    ).all()
    returned = sorted(
        (
            Reservation(row.id, order_id, row.sku, row.quantity, ReservationStatus.RELEASED, row.expires_at)
            for row in rows
        ),
        key=lambda reservation: (reservation.sku, reservation.id),
    )
    for reservation in returned:
        conn.execute(
            inventory.update()
            .where(inventory.c.sku == reservation.sku)
            .values(on_hand=inventory.c.on_hand + reservation.quantity, updated_at=now)
        )
    return returned
