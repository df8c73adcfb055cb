"""What a violation is, and the order states the invariants reason about: the state machine's own sets
(``checkout_engine.orders.model``), as the plain strings the records hold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from checkout_engine.orders import model as orders


def values(states: Iterable[orders.OrderState]) -> frozenset[str]:
    return frozenset(state.value for state in states)


MONEY_IN = values(orders.MONEY_IN)
KEEPS_MONEY = values(orders.KEEPS_MONEY)
RETURNED_MONEY = values(orders.RETURNED_MONEY)
ENDED_UNPAID = values(orders.ENDED_UNPAID)
HOLDS_STOCK = values(orders.HOLDS_STOCK)
HOLDS_COUPON = values(orders.HOLDS_COUPON)
REOPENABLE = values(orders.REOPENABLE)
FULFILLING = values(orders.FULFILLING)
PARTIALLY_REFUNDED = orders.OrderState.PARTIALLY_REFUNDED.value
CLOSED = orders.OrderState.CLOSED.value

COUNTED_REFUNDS = frozenset({"pending", "succeeded"})  # money on its way back, or back
ASKED_REFUNDS = COUNTED_REFUNDS | {"requested"}  # ours, from the moment we record it: spoken for


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant: which, about what (an order, a payment, a SKU, a key), and how."""

    invariant: str
    subject: str
    detail: str
