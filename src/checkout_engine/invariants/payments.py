"""Money once settled: every payment the provider took belongs to an order whose state says what it kept, at most
one is kept per order, our ledger records each one, and a paid order keeps its price, the one frozen in its
snapshot."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from checkout_engine.invariants.model import (
    CLOSED,
    KEEPS_MONEY,
    MONEY_IN,
    PARTIALLY_REFUNDED,
    RETURNED_MONEY,
    Violation,
)
from checkout_engine.invariants.world import AttemptRow, OrderRow, ProviderPayment, World
from checkout_engine.orders.effects import OUT_OF_STOCK_REASON


def refunded_at_provider(world: World, statuses: Iterable[str] = ("succeeded",)) -> Counter[str]:
    """Per provider payment, the amount of its refunds in ``statuses``."""
    wanted = frozenset(statuses)
    refunded: Counter[str] = Counter()
    for refund in world.provider_refunds:
        if refund.status in wanted:
            refunded[refund.payment_id] += refund.amount
    return refunded


def _succeeded_by_order(world: World) -> dict[str | None, list[ProviderPayment]]:
    by_order: dict[str | None, list[ProviderPayment]] = defaultdict(list)
    for payment in world.provider_payments:
        if payment.status == "succeeded":
            by_order[payment.order_id].append(payment)
    return by_order


def _kept(payments: Iterable[ProviderPayment], refunded: Mapping[str, int]) -> list[ProviderPayment]:
    """The payments whose money the provider still holds (not refunded in full)."""
    return [payment for payment in payments if refunded.get(payment.id, 0) < payment.amount_received]


def one_kept_payment_per_order(world: World) -> list[Violation]:
    """No order keeps more than one succeeded payment: an extra one must be refunded."""
    refunded = refunded_at_provider(world)
    return [
        Violation(
            "one_kept_payment_per_order", str(order_id), f"{len(kept)} unrefunded payments: {[p.id for p in kept]}"
        )
        for order_id, payments in _succeeded_by_order(world).items()
        if len(kept := _kept(payments, refunded)) > 1
    ]


def _state_for(kept: int, total: int) -> frozenset[str]:
    """The states that say an order keeps ``kept`` of its ``total``."""
    if kept >= total:
        return KEEPS_MONEY - {PARTIALLY_REFUNDED}
    return frozenset({PARTIALLY_REFUNDED}) if kept else RETURNED_MONEY


def _money_problem(order: OrderRow, taken: list[ProviderPayment], refunded: Mapping[str, int]) -> str:
    kept = _kept(taken, refunded)
    state = order.state
    if state not in MONEY_IN:
        return f"the provider took {[p.id for p in taken]} for an order that is {state}" if taken else ""
    if state in KEEPS_MONEY and len(kept) != 1:
        return f"order is {state} but the provider keeps {len(kept)} of its payments"
    if state == PARTIALLY_REFUNDED and kept and not refunded.get(kept[0].id):
        return "order is partially_refunded but nothing of its payment was refunded at the provider"
    if state in RETURNED_MONEY and (kept or not taken):
        return f"order is {state} but the provider keeps {len(kept)} of its {len(taken)} payments"
    amount = sum(payment.amount_received - refunded.get(payment.id, 0) for payment in taken)
    if taken and state != CLOSED and state not in _state_for(amount, order.total):
        return f"order is {state} but the provider keeps {amount} of its {order.total}"
    return ""


def provider_money_matches_orders(world: World) -> list[Violation]:
    """Every succeeded payment belongs to an order that is paid, fulfilled or refunded (the refund at the provider),
    and every order in such a state holds exactly the money its state says: all of its total (paid or delivered),
    part of it (partially refunded) or none (refunded)."""
    name = "provider_money_matches_orders"
    refunded = refunded_at_provider(world)
    by_order = _succeeded_by_order(world)
    known = {order.id for order in world.orders}
    violations = [
        Violation(name, payment.id, f"succeeded payment for unknown order {payment.order_id!r}")
        for order_id, payments in by_order.items()
        if order_id not in known
        for payment in payments
    ]
    for order in world.orders:
        if problem := _money_problem(order, by_order.get(order.id, []), refunded):
            violations.append(Violation(name, order.id, problem))
    return violations


def _attempt_problem(attempt: AttemptRow | None, payment: ProviderPayment) -> str | None:
    if attempt is None:
        return "succeeded at the provider, unknown to our attempts"
    if (attempt.status, attempt.amount_received) != ("succeeded", payment.amount_received):
        return f"ours {attempt.status}/{attempt.amount_received}, provider's succeeded/{payment.amount_received}"
    return None


def ledger_matches_provider(world: World) -> list[Violation]:
    """Once settled, our payment attempts record every payment the provider took, with the amount it took."""
    ours = {attempt.provider_payment_id: attempt for attempt in world.attempts if attempt.provider_payment_id}
    return [
        Violation("ledger_matches_provider", payment.id, problem)
        for payment in world.provider_payments
        if payment.status == "succeeded" and (problem := _attempt_problem(ours.get(payment.id), payment))
    ]


def _asked_and_unsellable(world: World) -> tuple[Counter[str], set[str]]:
    """Refunded on request per order (by a person, or at the provider), and the orders the engine refunded because
    their stock was gone."""
    asked: Counter[str] = Counter()
    unsellable = set()
    for record in world.refunds:
        if record.requested_by == "system" and record.reason == OUT_OF_STOCK_REASON:
            unsellable.add(record.order_id)
        elif record.status == "succeeded" and record.requested_by != "system":
            asked[record.order_id] += record.amount
    return asked, unsellable


def paid_orders_keep_their_price(world: World) -> list[Violation]:
    """An order that was paid keeps its price at the provider, less what was refunded on request: a refund the
    engine decides on by itself for a duplicate payment gives back only money beyond the price. (The exception:
    stock gone when the money came, and everything went back.)"""
    refunded = refunded_at_provider(world)
    payments = _succeeded_by_order(world)
    paid = {event.order_id for event in world.events if event.to_state == "paid"}
    asked, unsellable = _asked_and_unsellable(world)
    violations = []
    for order in world.orders:
        if order.id not in paid or order.id in unsellable:
            continue
        kept = sum(payment.amount_received - refunded[payment.id] for payment in payments.get(order.id, []))
        if kept != order.total - asked[order.id]:
            detail = f"paid {order.total}, {asked[order.id]} refunded on request, but the provider keeps {kept}"
            violations.append(Violation("paid_orders_keep_their_price", order.id, detail))
    return violations


def orders_priced_by_their_snapshot(world: World) -> list[Violation]:
    """An order's total and currency are those of its frozen pricing snapshot: settlement judges the provider's
    amount against the order's, so the two may never drift apart."""
    violations = []
    for order in world.orders:
        priced = world.priced.get(order.id)
        if priced is None:
            continue  # the snapshot was not read (a crafted world); the database writes both in one transaction
        total, currency = priced
        if order.total != total or (order.currency is not None and order.currency != currency):
            detail = f"order asks {order.total} {order.currency}, its snapshot {total} {currency}"
            violations.append(Violation("orders_priced_by_their_snapshot", order.id, detail))
    return violations
