"""Reservations as values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from checkout_engine.errors import Conflict


class ReservationStatus(StrEnum):
    ACTIVE = "active"  # holds stock: counted in inventory.reserved
    COMMITTED = "committed"  # the order was paid: on_hand went down, reserved released
    RELEASED = "released"  # payment failed, the order expired or was cancelled: stock is back


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    order_id: str
    sku: str
    quantity: int
    status: ReservationStatus
    expires_at: datetime


class InsufficientInventory(Conflict):
    code = "insufficient_inventory"
