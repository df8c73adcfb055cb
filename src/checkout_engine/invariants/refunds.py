"""Refunds: never more than was captured, our records and the provider's one to one, and equal once settled."""

from __future__ import annotations

from collections import Counter

from checkout_engine.invariants.model import ASKED_REFUNDS, COUNTED_REFUNDS, Violation
from checkout_engine.invariants.world import ProviderRefund, RefundRow, World

NEVER_SENT = frozenset({"failed", "canceled"})  # our refunds the provider refused (so holds no record of)


def refunds_within_captured(world: World) -> list[Violation]:
    """Refunds never exceed what was captured, per payment, at the provider and in our books."""
    name = "refunds_within_captured"
    at_provider: Counter[str] = Counter()
    for refund in world.provider_refunds:
        if refund.status in COUNTED_REFUNDS:
            at_provider[refund.payment_id] += refund.amount
    violations = [
        Violation(name, payment.id, f"refunded {at_provider[payment.id]} of {payment.amount_received} captured")
        for payment in world.provider_payments
        if at_provider[payment.id] > payment.amount_received
    ]
    ours: Counter[str] = Counter()
    for record in world.refunds:
        if record.status in ASKED_REFUNDS:
            ours[record.attempt_id] += record.amount
    violations += [
        Violation(name, attempt.id, f"our refunds {ours[attempt.id]} of {attempt.amount_received} captured")
        for attempt in world.attempts
        if ours[attempt.id] > attempt.amount_received
    ]
    return violations


def refunds_within_their_lines(world: World) -> list[Violation]:
    """Refunds by line give back no more units of a line than the order bought, the shipping at most once, and an
    approval request is carried out by at most one refund."""
    name = "refunds_within_their_lines"
    bought: Counter[tuple[str, str]] = Counter()
    for line in world.lines:
        bought[line.order_id, line.sku] += line.quantity
    given: Counter[tuple[str, str]] = Counter()
    shipping: Counter[str] = Counter()
    approvals: Counter[str] = Counter()
    for record in world.refunds:
        if record.approval_id is not None:
            approvals[record.approval_id] += 1
        if record.status not in ASKED_REFUNDS:
            continue
        for sku, quantity in record.lines:
            given[record.order_id, sku] += quantity
        shipping[record.order_id] += record.shipping
    violations = [
        Violation(name, order_id, f"{quantity} {sku} refunded by line, {bought[order_id, sku]} bought")
        for (order_id, sku), quantity in given.items()
        if quantity > bought[order_id, sku]
    ]
    violations += [
        Violation(name, order_id, f"shipping refunded {count} times")
        for order_id, count in shipping.items()
        if count > 1
    ]
    violations += [
        Violation(name, approval_id, f"carried out by {count} refunds")
        for approval_id, count in approvals.items()
        if count > 1
    ]
    return violations


def refunds_one_to_one(world: World) -> list[Violation]:
    """Every refund at the provider names (in its metadata) exactly one of our refund records, and none of ours has
    two at the provider: asking again after a lost answer found the first one instead of refunding twice."""
    name = "refunds_one_to_one"
    ours = {record.id for record in world.refunds}
    per_record = Counter(refund.refund_id for refund in world.provider_refunds if refund.refund_id in ours)
    violations = [
        Violation(name, refund.id, f"names refund {refund.refund_id!r}, not one of ours")
        for refund in world.provider_refunds
        if refund.refund_id not in ours
    ]
    violations += [
        Violation(name, str(record_id), f"{count} refunds at the provider")
        for record_id, count in per_record.items()
        if count > 1
    ]
    return violations


def _refund_problem(ours: RefundRow, theirs: ProviderRefund | None, payment_id: str | None) -> str | None:
    if theirs is None:
        return None if ours.status in NEVER_SENT else f"{ours.status} in our books, not at the provider"
    if (ours.amount, ours.status, payment_id) != (theirs.amount, theirs.status, theirs.payment_id):
        mine = f"{ours.amount}/{ours.status} on {payment_id}"
        return f"ours {mine}, provider's {theirs.amount}/{theirs.status} on {theirs.payment_id}"
    return None


def refunds_match_provider(world: World) -> list[Violation]:
    """Once settled, our refund records equal the provider's: the same refunds, amounts, statuses and payments (ours
    not at the provider only if it refused them)."""
    name = "refunds_match_provider"
    theirs = {refund.id: refund for refund in world.provider_refunds}
    payment_of = {attempt.id: attempt.provider_payment_id for attempt in world.attempts}
    references = Counter(refund.provider_refund_id for refund in world.refunds if refund.provider_refund_id)
    violations = [
        Violation(name, ours.id, problem)
        for ours in world.refunds
        if (
            problem := _refund_problem(ours, theirs.get(ours.provider_refund_id or ""), payment_of.get(ours.attempt_id))
        )
    ]
    violations += [
        Violation(name, refund.id, f"recorded {references[refund.id]} times in our books")
        for refund in world.provider_refunds
        if references[refund.id] != 1
    ]
    return violations


def failed_refunds_reviewed(world: World) -> list[Violation]:
    """A refund of ours that failed (refused at once, or failed at the provider later) promised the customer money
    that never came: its order was flagged for a person, naming it, when it failed."""
    name = "failed_refunds_reviewed"
    named = {
        (event.order_id, refund.id)
        for event in world.events
        if event.kind == "review_flagged"
        for refund in world.refunds
        if refund.order_id == event.order_id and f"refund {refund.id}" in event.reason
    }
    return [
        Violation(name, refund.order_id, f"refund {refund.id} failed and no one was told")
        for refund in world.refunds
        if refund.status == "failed" and refund.requested_by != "provider" and (refund.order_id, refund.id) not in named
    ]
