"""Stock: nothing oversold, and the counters, the reservation rows and the orders' states agree (who may hold
stock at all, and until when: ``holds``)."""

from __future__ import annotations

from collections import Counter

from checkout_engine.invariants.model import FULFILLING, MONEY_IN, Violation
from checkout_engine.invariants.world import World


def _stock_rows(world: World, active: Counter[str], committed: Counter[str]) -> list[Violation]:
    name = "stock_agrees"
    violations = []
    for row in world.stock:
        if row.reserved != active[row.sku]:
            violations.append(Violation(name, row.sku, f"reserved {row.reserved}, active holds {active[row.sku]}"))
        if not 0 <= row.reserved <= row.on_hand:
            violations.append(Violation(name, row.sku, f"oversold: reserved {row.reserved} of {row.on_hand} on hand"))
        initial = world.initial_stock.get(row.sku)
        if initial is not None and committed[row.sku] > initial:
            violations.append(Violation(name, row.sku, f"oversold: {committed[row.sku]} sold of {initial}"))
        if initial is not None and row.on_hand != initial - committed[row.sku]:
            detail = f"on hand {row.on_hand}, but {initial} stocked less {committed[row.sku]} sold"
            violations.append(Violation(name, row.sku, detail))
    return violations


def _holds(world: World) -> tuple[Counter[str], Counter[str], Counter[tuple[str, str]], list[Violation]]:
    """Active and committed units per SKU and committed units per order line; stock sold to an unpaid order, and
    more held or taken for an order line than it bought."""
    active: Counter[str] = Counter()
    committed: Counter[str] = Counter()
    per_line: Counter[tuple[str, str]] = Counter()
    kept: Counter[tuple[str, str]] = Counter()
    state = {order.id: order.state for order in world.orders}
    misplaced = []
    for hold in world.reservations:
        if hold.status != "released":
            kept[hold.order_id, hold.sku] += hold.quantity
        if hold.status == "active":
            active[hold.sku] += hold.quantity
        elif hold.status == "committed":
            committed[hold.sku] += hold.quantity
            per_line[hold.order_id, hold.sku] += hold.quantity
            if (owner := state.get(hold.order_id)) not in MONEY_IN:
                misplaced.append(Violation("stock_agrees", hold.order_id, f"sold {hold.sku} while {owner}"))
    bought: Counter[tuple[str, str]] = Counter()
    for line in world.lines:
        bought[line.order_id, line.sku] += line.quantity
    misplaced += [
        Violation("stock_agrees", order_id, f"holds or took {quantity} {sku}, bought {bought[order_id, sku]}")
        for (order_id, sku), quantity in kept.items()
        if quantity > bought[order_id, sku]
    ]
    return active, committed, per_line, misplaced


def stock_agrees(world: World) -> list[Violation]:
    """No SKU is oversold; on hand, reserved and the reservation rows agree; sold stock belongs to paid orders; no
    order holds or takes more than it bought, and a fulfilled order's units were taken from stock."""
    active, committed, per_line, violations = _holds(world)
    tracked = {row.sku for row in world.stock}
    fulfilling = {order.id for order in world.orders if order.state in FULFILLING}
    for line in world.lines:
        taken = per_line[line.order_id, line.sku]
        if line.sku in tracked and line.order_id in fulfilling and taken != line.quantity:
            detail = f"fulfilled {line.quantity} {line.sku}, {taken} taken from stock"
            violations.append(Violation("stock_agrees", line.order_id, detail))
    return violations + _stock_rows(world, active, committed)
