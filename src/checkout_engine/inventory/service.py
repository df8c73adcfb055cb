"""Reserving, releasing and committing the stock of one order, inside the caller's unit of work."""

from __future__ import annotations

from datetime import datetime

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.inventory import repository as repo
from checkout_engine.inventory.model import InsufficientInventory, Reservation, ReservationStatus


def reserve(uow: UnitOfWork, *, order_id: str, lines: list[tuple[str, int]], expires_at: datetime) -> None:
    """Hold every line or none: the first short SKU raises and the caller's transaction rolls everything back.
    Untracked SKUs (digital goods without a stock row) need no hold."""
    conn = uow.connection
    for sku, quantity in repo.skus_sorted(lines):
        if not repo.hold(conn, sku, quantity):
            if not repo.is_tracked(conn, sku):  # asked only when the hold fails: one statement per line, not two
                continue
            raise insufficient(sku, quantity)
        repo.insert(conn, order_id=order_id, sku=sku, quantity=quantity, expires_at=expires_at)


def insufficient(sku: str, quantity: int) -> InsufficientInventory:
    return InsufficientInventory(f"Not enough {sku} left in stock.", details={"sku": sku, "requested": quantity})


def release(uow: UnitOfWork, order_id: str) -> list[Reservation]:
    """Give back every active hold of the order (payment failed, expired, cancelled). Safe to repeat."""
    return repo.settle_active(uow.connection, order_id, ReservationStatus.RELEASED)


def commit(uow: UnitOfWork, order_id: str) -> list[Reservation]:
    """The order is paid: its held units leave stock for good. Safe to repeat; empty when nothing was held."""
    return repo.settle_active(uow.connection, order_id, ReservationStatus.COMMITTED)


def restock(uow: UnitOfWork, order_id: str) -> list[Reservation]:
    """A paid order cancelled before delivery: the units it took go back on hand. Safe to repeat."""
    return repo.return_committed(uow.connection, order_id)
