"""What a violation is, and the order states the invariants reason about."""

from __future__ import annotations

from dataclasses import dataclass

# Order states by what the provider should hold for them.
KEEPS_MONEY = frozenset({"paid", "fulfillment_pending", "partially_fulfilled", "fulfilled", "partially_refunded"})
RETURNED_MONEY = frozenset({"refunded", "cancelled_with_refund"})
MONEY_IN = KEEPS_MONEY | RETURNED_MONEY | {"closed"}
# Order states that may hold stock (waiting for payment), and those whose stock is being or was shipped.
HOLDS_STOCK = frozenset({"draft", "payment_pending", "payment_authorized", "capture_failed"})
FULFILLING = frozenset({"fulfillment_pending", "partially_fulfilled", "fulfilled"})
COUNTED_REFUNDS = frozenset({"pending", "succeeded"})  # money on its way back, or back


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken invariant: which, about what (an order, a payment, a SKU, a key), and how."""

    invariant: str
    subject: str
    detail: str
