"""Holds: an active stock reservation or a reserved coupon redemption belongs to an order still waiting to be
paid or captured (a declined one keeps its coupon, not its stock), and is given back when that order's time runs
out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from checkout_engine.invariants.model import HOLDS_COUPON, HOLDS_STOCK, REOPENABLE, Violation
from checkout_engine.invariants.world import OrderRow, World
from checkout_engine.payments.attempts import CREATING


def _holds(world: World) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(order id, what it holds, the states that may hold it) for every live hold: active reservations and
    reserved redemptions."""
    for hold in world.reservations:
        if hold.status == "active":
            yield hold.order_id, f"{hold.quantity} {hold.sku}", HOLDS_STOCK
    for redemption in world.redemptions:
        if redemption.status == "reserved":
            yield redemption.order_id, f"coupon {redemption.coupon_code}", HOLDS_COUPON


def holds_belong_to_waiting_orders(world: World) -> list[Violation]:
    """Stock is held only for an order that may still be paid or captured (``HOLDS_STOCK``), a coupon also for a
    declined one that may still be paid (``HOLDS_COUPON``), and both for a failed or expired order while a new
    payment attempt is being made for it (held before its intent exists): never for one that is paid, refunded,
    cancelled or expired otherwise."""
    states = {order.id: order.state for order in world.orders}
    reopening = {attempt.order_id for attempt in world.attempts if attempt.status == CREATING}
    return [
        Violation("holds_belong_to_waiting_orders", order_id, f"holds {what} while {states.get(order_id)}")
        for order_id, what, holders in _holds(world)
        if states.get(order_id) not in holders and not (order_id in reopening and states.get(order_id) in REOPENABLE)
    ]


def _overdue(order: OrderRow, read_at: datetime | None) -> bool:
    return order.expires_at is not None and read_at is not None and order.expires_at <= read_at


def holds_released_in_time(world: World) -> list[Violation]:
    """Once the worker has drained (the expiry sweep done), no order holds stock or a coupon past its
    ``expires_at``: an unpaid order expired and gave them back, and one whose money moved was given more time.
    (An order stuck in ``capture_failed`` would hold them for ever.)"""
    orders = {order.id: order for order in world.orders}
    violations = []
    for order_id, what, _ in _holds(world):
        order = orders.get(order_id)
        if order is not None and _overdue(order, world.read_at):
            detail = f"{order.state} holds {what} past {order.expires_at}"
            violations.append(Violation("holds_released_in_time", order_id, detail))
    return violations
