"""History and delivery: every state change has its event; fulfilment happened once, after a provider-backed
payment, and for every order that keeps its money."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import pairwise

from checkout_engine.invariants.model import COUNTED_REFUNDS, KEEPS_MONEY, Violation
from checkout_engine.invariants.world import EventRow, World
from checkout_engine.orders.model import TRANSITIONS, OrderState


def _transitions(world: World) -> dict[str, list[EventRow]]:
    by_order: dict[str, list[EventRow]] = defaultdict(list)
    for event in sorted(world.events, key=lambda event: event.id):
        if event.kind == "transition":
            by_order[event.order_id].append(event)
    return by_order


def _deliveries(world: World) -> dict[str, tuple[int, int]]:
    """What fulfilling each order writes: (shipment requests, download grants) — one shipment for all its physical
    lines, one grant per digital line."""
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for line in world.lines:
        kinds[line.order_id][line.kind] += 1
    return {order_id: (min(kind["physical"], 1), kind["digital"]) for order_id, kind in kinds.items()}


def _delivered(world: World, order_id: str) -> tuple[int, int]:
    return world.shipments.get(order_id, 0), world.entitlements.get(order_id, 0)


def fulfillment_proven(world: World) -> list[Violation]:
    """Every fulfilled order has a paid transition carrying a provider reference and exactly one fulfilment (one
    shipment for its physical lines, one grant per digital line); an order never fulfilled has none."""
    name = "fulfillment_proven"
    history = _transitions(world)
    deliveries = _deliveries(world)
    violations = []
    for order in world.orders:
        events = history.get(order.id, [])
        fulfilled = sum(event.to_state == "fulfilled" for event in events)
        expected = deliveries.get(order.id, (0, 0)) if fulfilled else (0, 0)
        actual = _delivered(world, order.id)
        if fulfilled > 1:
            violations.append(Violation(name, order.id, f"fulfilled {fulfilled} times"))
        if fulfilled and not any(e.to_state == "paid" and e.provider_event_id for e in events):
            violations.append(Violation(name, order.id, "fulfilled without a paid transition backed by the provider"))
        if actual != expected:
            violations.append(Violation(name, order.id, f"(shipments, grants) {actual}, expected {expected}"))
    return violations


def kept_orders_fulfilled(world: World) -> list[Violation]:
    """Once settled, every order that keeps its money, is not held for review and was not refunded in full has
    been delivered: its shipment request and download grants exist (a partial refund does not cancel delivery)."""
    refunded: Counter[str] = Counter()
    for record in world.refunds:
        if record.status in COUNTED_REFUNDS:
            refunded[record.order_id] += record.amount
    deliveries = _deliveries(world)
    return [
        Violation("kept_orders_fulfilled", order.id, f"{order.state}, (shipments, grants) {actual}, expected {due}")
        for order in world.orders
        if order.state in KEEPS_MONEY and not order.needs_review and refunded[order.id] < order.total
        if (actual := _delivered(world, order.id)) != (due := deliveries.get(order.id, (0, 0)))
    ]


def _chain_problem(events: Sequence[EventRow], state: str) -> str | None:
    if not events or (events[0].from_state, events[0].to_state) != (None, "draft"):
        return "history does not start with the order's creation"
    for before, after in pairwise(events):
        if after.to_state is None or after.from_state != before.to_state:
            return f"event {after.id} moves from {after.from_state}, but the order was {before.to_state}"
        if OrderState(after.to_state) not in TRANSITIONS[OrderState(str(before.to_state))]:
            return f"event {after.id}: {before.to_state} -> {after.to_state} is not an allowed transition"
    if events[-1].to_state != state:
        return f"the order is {state}, its last event says {events[-1].to_state}"
    return None


def history_complete(world: World) -> list[Violation]:
    """Every state change has its event: the transitions chain from creation to the order's current state."""
    history = _transitions(world)
    return [
        Violation("history_complete", order.id, problem)
        for order in world.orders
        if (problem := _chain_problem(history.get(order.id, []), order.state))
    ]
