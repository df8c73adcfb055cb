"""Crafted books for the invariants' unit tests: a healthy shop (one lamp sold, paid and shipped), to which a test
changes one thing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from checkout_engine.invariants.world import (
    AttemptRow,
    EventRow,
    JobRow,
    LineRow,
    OrderRow,
    ProviderPayment,
    ProviderRefund,
    RefundRow,
    ReservationRow,
    StockRow,
    World,
)

ORDER = "ord_1"
PRICE = 2500
PAID_ROAD = ("draft", "payment_pending", "paid", "fulfillment_pending", "fulfilled")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def history(order_id: str, *states: str, start: int = 1) -> tuple[EventRow, ...]:
    """Transitions through ``states``; the move to paid carries the provider's event id."""
    before: list[str | None] = [None, *states[:-1]]
    return tuple(
        EventRow(start + n, order_id, "transition", old, new, "evt_paid" if new == "paid" else None)
        for n, (old, new) in enumerate(zip(before, states, strict=True))
    )


def paid_intent(intent_id: str, order_id: str, attempt_id: str, amount: int = PRICE) -> ProviderPayment:
    return ProviderPayment(intent_id, "succeeded", amount, amount, order_id, attempt_id, "succeeded")


def shop(**changes: Any) -> World:
    """One lamp sold, paid with one payment and shipped; three were in stock."""
    world = World(
        orders=(OrderRow(ORDER, "fulfilled", PRICE),),
        events=history(ORDER, *PAID_ROAD),
        lines=(LineRow(ORDER, "LAMP", 1, "physical"),),
        priced={ORDER: (PRICE, "EUR")},
        attempts=(AttemptRow("pat_1", ORDER, "pi_1", "succeeded", PRICE, PRICE),),
        stock=(StockRow("LAMP", 2, 0),),
        reservations=(ReservationRow(ORDER, "LAMP", 1, "committed"),),
        shipments={ORDER: 1},
        jobs=(JobRow(1, "fulfill_order", "done"),),
        provider_payments=(paid_intent("pi_1", ORDER, "pat_1"),),
        initial_stock={"LAMP": 3},
        read_at=NOW,
    )
    return replace(world, **changes)


def second_payment(*, refunded_by: str | None) -> dict[str, Any]:
    """The shop with a second succeeded payment for the order, refunded (by ``refunded_by``) or kept."""
    world = shop()
    payments = (*world.provider_payments, paid_intent("pi_2", ORDER, "pat_2"))
    attempts = (*world.attempts, AttemptRow("pat_2", ORDER, "pi_2", "succeeded", PRICE, PRICE))
    if refunded_by is None:
        return {"provider_payments": payments, "attempts": attempts}
    refund = RefundRow("rf_2", ORDER, "pat_2", PRICE, "succeeded", "re_2", refunded_by)
    provider_refund = ProviderRefund("re_2", "pi_2", PRICE, "succeeded", "rf_2")
    return {
        "provider_payments": payments,
        "attempts": attempts,
        "refunds": (refund,),
        "provider_refunds": (provider_refund,),
    }
