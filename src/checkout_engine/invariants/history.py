"""History: every state change has its event, and fulfilment happened once, after a provider-backed payment."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import pairwise

from checkout_engine.invariants.model import Violation
from checkout_engine.invariants.records import EventRow, World
from checkout_engine.orders.model import TRANSITIONS, OrderState


def _transitions(world: World) -> dict[str, list[EventRow]]:
    by_order: dict[str, list[EventRow]] = defaultdict(list)
    for event in sorted(world.events, key=lambda event: event.id):
        if event.kind == "transition":
            by_order[event.order_id].append(event)
    return by_order


def fulfillment_proven(world: World) -> list[Violation]:
    """Every fulfilled order has a paid transition carrying a provider reference and exactly one fulfilment (one
    shipment for its physical lines, one grant per digital line); an order never fulfilled has none."""
    name = "fulfillment_proven"
    history = _transitions(world)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    for line in world.lines:
        kinds[line.order_id][line.kind] += 1
    violations = []
    for order in world.orders:
        events = history.get(order.id, [])
        fulfilled = sum(event.to_state == "fulfilled" for event in events)
        expected = (min(kinds[order.id]["physical"], 1), kinds[order.id]["digital"]) if fulfilled else (0, 0)
        actual = (world.shipments.get(order.id, 0), world.entitlements.get(order.id, 0))
        if fulfilled > 1:
            violations.append(Violation(name, order.id, f"fulfilled {fulfilled} times"))
        if fulfilled and not any(e.to_state == "paid" and e.provider_event_id for e in events):
            violations.append(Violation(name, order.id, "fulfilled without a paid transition backed by the provider"))
        if actual != expected:
            violations.append(Violation(name, order.id, f"(shipments, grants) {actual}, expected {expected}"))
    return violations


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
