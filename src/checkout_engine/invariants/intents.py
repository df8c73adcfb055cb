"""Payment intents: what we call paid the provider took; every intent is one of our attempts, and each attempt
says what its intent says; an order offers the customer at most one intent to pay, and none once it is over."""

from __future__ import annotations

from collections import defaultdict

from checkout_engine.invariants.model import ENDED_UNPAID, MONEY_IN, Violation
from checkout_engine.invariants.world import AttemptRow, ProviderPayment, World

# Provider statuses in which an intent still takes a payment method or a confirmation: the customer can pay it.
CONFIRMABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})


def _intents(world: World) -> dict[str, ProviderPayment]:
    return {payment.id: payment for payment in world.provider_payments}


def succeeded_attempts_are_proven(world: World) -> list[Violation]:
    """An attempt we call succeeded succeeded at the provider, for the amount we recorded."""
    intents = _intents(world)
    violations = []
    for attempt in world.attempts:
        intent = intents.get(attempt.provider_payment_id or "")
        says = (intent.status, intent.amount_received) if intent else "nothing"
        if attempt.status == "succeeded" and says != ("succeeded", attempt.amount_received):
            detail = f"succeeded ({attempt.amount_received}) in our books, provider says {says}"
            violations.append(Violation("succeeded_attempts_are_proven", attempt.id, detail))
    return violations


def money_in_is_proven(world: World) -> list[Violation]:
    """An order counts money in only when one of its attempts' intents succeeded at the provider."""
    intents = _intents(world)
    proven = {
        attempt.order_id
        for attempt in world.attempts
        if (intent := intents.get(attempt.provider_payment_id or "")) and intent.status == "succeeded"
    }
    return [
        Violation("money_in_is_proven", order.id, f"{order.state} without a payment that succeeded at the provider")
        for order in world.orders
        if order.state in MONEY_IN and order.id not in proven
    ]


def provider_payments_are_ours(world: World) -> list[Violation]:
    """Every intent at the provider traces back, by its metadata, to one of our attempts of the same order."""
    attempts = {attempt.id: attempt for attempt in world.attempts}
    return [
        Violation("provider_payments_are_ours", intent.id, f"{intent.status}, belongs to no attempt of its order")
        for intent in world.provider_payments
        if (attempt := attempts.get(intent.attempt_id or "")) is None or attempt.order_id != intent.order_id
    ]


def _status_problem(attempt: AttemptRow, intent: ProviderPayment | None) -> str | None:
    if intent is None:
        return f"{attempt.status} in our books, intent {attempt.provider_payment_id} unknown to the provider"
    if attempt.status != intent.normalized:
        return f"{attempt.status} in our books, the provider's intent is {intent.status} ({intent.normalized})"
    return None


def attempts_match_intents(world: World) -> list[Violation]:
    """Once settled, every attempt's status is its intent's current status at the provider, as the payment adapter
    maps it: a stale read never moved an attempt back (ours ``processing`` while the provider says ``succeeded``)."""
    intents = _intents(world)
    return [
        Violation("attempts_match_intents", attempt.id, problem)
        for attempt in world.attempts
        if attempt.provider_payment_id
        and (problem := _status_problem(attempt, intents.get(attempt.provider_payment_id)))
    ]


def _confirmable_by_order(world: World) -> dict[str, list[str]]:
    by_order: dict[str, list[str]] = defaultdict(list)
    for intent in world.provider_payments:
        if intent.status in CONFIRMABLE:
            by_order[str(intent.order_id)].append(intent.id)
    return by_order


def one_confirmable_intent_per_order(world: World) -> list[Violation]:
    """No order has two intents the customer could still pay at the provider: a new attempt stops the old one."""
    return [
        Violation("one_confirmable_intent_per_order", order_id, f"confirmable intents {sorted(intents)}")
        for order_id, intents in _confirmable_by_order(world).items()
        if len(intents) > 1
    ]


def no_confirmable_intent_once_over(world: World) -> list[Violation]:
    """Once settled, an order that was paid, or ended unpaid, leaves no intent the customer could still pay."""
    confirmable = _confirmable_by_order(world)
    return [
        Violation("no_confirmable_intent_once_over", order.id, f"{order.state}, confirmable {confirmable[order.id]}")
        for order in world.orders
        if order.state in MONEY_IN | ENDED_UNPAID and confirmable.get(order.id)
    ]
