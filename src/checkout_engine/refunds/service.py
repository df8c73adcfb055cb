"""Refund commands: request (a record and its job, in one transaction), submit to the provider (the job), and
follow the provider's word on each refund to the order's state.

The order moves to ``partially_refunded`` / ``refunded`` only on the provider's confirmation, never on request.
Partial refunds add up and can never exceed what the provider captured for the attempt."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.errors import Conflict, Invalid
from checkout_engine.jobs import repository as jobs
from checkout_engine.jobs.model import RetryLater
from checkout_engine.jobs.worker import JobContext
from checkout_engine.observability.metrics import REPEATED_OPERATIONS
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import TRANSITIONS, Order, OrderState
from checkout_engine.outgoing import emit as outgoing
from checkout_engine.outgoing.model import EventType
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import (
    ProviderRefund,
    ProviderRejected,
    ProviderUnavailable,
    RefundStatus,
)
from checkout_engine.payments.provider_keys import ProviderKeys
from checkout_engine.receipts import service as receipts
from checkout_engine.refunds import repository as repo
from checkout_engine.refunds.repository import Refund

SUBMIT_REFUND = "submit_refund"
REFUND = "refund"  # the operation our refund keys are kept under
S = OrderState


class RefundExceedsCaptured(Invalid):
    code = "refund_exceeds_captured"


class OrderNotRefundable(Conflict):
    code = "order_not_refundable"


def duplicate_refund_id(attempt_id: str) -> str:
    """An extra payment is refunded once: its refund's id, and so the provider's idempotency key, derives from the
    attempt, and the primary key refuses a second one."""
    return f"rf_duplicate_{attempt_id}"


def duplicate_refund_decided(conn: sa.Connection, attempt_id: str) -> bool:
    return repo.get(conn, duplicate_refund_id(attempt_id)) is not None


def paying_attempt(
    conn: sa.Connection, order_id: str, order_attempts: list[PaymentAttempt] | None = None
) -> PaymentAttempt | None:
    """The attempt whose money the order holds: the one whose success made it paid, not merely the first created
    (two tabs can pay a newer attempt first). Any other succeeded attempt is extra and refunded as a duplicate.
    ``order_attempts``: the order's attempts as the caller just read them, oldest first."""
    if order_attempts is None:
        order_attempts = attempts.for_order(conn, order_id)
    if payment_id := repo.paid_with(conn, order_id, providers={a.provider for a in order_attempts}):
        keeper = next((a for a in order_attempts if a.provider_payment_id == payment_id), None)
        if keeper is not None:
            return keeper
    # No paid transition naming one of our payments (not paid yet, older records): the first success not refunded
    # as a duplicate.
    succeeded = [a for a in order_attempts if a.status == "succeeded"]
    return next((a for a in succeeded if not duplicate_refund_decided(conn, a.id)), None)


def summary(conn: sa.Connection, order_id: str) -> dict[str, object]:
    """How much of the order's own payment went back, beside its state (``none``, ``pending``, ``partial``,
    ``full``); what went back of an extra payment is counted apart."""
    keeper = paying_attempt(conn, order_id)
    records = repo.for_order(conn, order_id)
    own = [r for r in records if keeper is not None and r.payment_attempt_id == keeper.id]
    refunded = sum(r.amount for r in own if r.status == "succeeded")
    pending = sum(r.amount for r in own if r.status in repo.OPEN)
    if keeper is not None and keeper.amount_received and refunded >= keeper.amount_received:
        status = "full"
    elif refunded:
        status = "partial"
    else:
        status = "pending" if pending else "none"
    extra = sum(r.amount for r in records if r not in own and r.status == "succeeded")
    return {
        "status": status,
        "refunded_amount": refunded,
        "pending_amount": pending,
        "extra_payments_refunded": extra,
        "paying_attempt_id": keeper.id if keeper else None,
    }


def refundable(uow: UnitOfWork, attempt: PaymentAttempt) -> int:
    return attempt.amount_received - repo.committed_amount(uow.connection, attempt.id)


def check_room(uow: UnitOfWork, order: Order, amount: int, *, attempt: PaymentAttempt | None = None) -> PaymentAttempt:
    """The payment ``amount`` would go back against (the order's own, unless ``attempt`` is named), or why it cannot:
    nothing captured, or more than is left of what was."""
    attempt = attempt or paying_attempt(uow.connection, order.id)
    if attempt is None or attempt.amount_received == 0:
        raise OrderNotRefundable("This order has no captured payment to refund.", details={"state": order.state})
    left = refundable(uow, attempt)
    if amount <= 0 or amount > left:
        raise RefundExceedsCaptured(
            f"At most {left} can still be refunded on this order.",
            details={"requested": amount, "refundable": left, "captured": attempt.amount_received},
        )
    return attempt


def request_refund(
    uow: UnitOfWork,
    order: Order,
    *,
    amount: int,
    reason: str,
    requested_by: str,
    attempt: PaymentAttempt | None = None,
    refund_id: str | None = None,
    lines: list[dict[str, Any]] | None = None,
    shipping_amount: int | None = None,
    approval_id: str | None = None,
) -> Refund:
    """Record a refund and queue its submission. Concurrent requests for one order queue on the order's row."""
    order = orders.get_order(uow, order.id, for_update=True)
    attempt = check_room(uow, order, amount, attempt=attempt)
    refund = repo.insert(
        uow.connection,
        order_id=order.id,
        attempt_id=attempt.id,
        amount=amount,
        currency=attempt.currency,
        reason=reason,
        requested_by=requested_by,
        refund_id=refund_id,
        lines=lines,
        shipping_amount=shipping_amount,
        approval_id=approval_id,
    )
    jobs.enqueue(uow.connection, SUBMIT_REFUND, {"refund_id": refund.id}, dedupe_key=f"{SUBMIT_REFUND}:{refund.id}")
    return refund


def refund_duplicate(uow: UnitOfWork, order: Order, attempt: PaymentAttempt, *, reason: str) -> Refund | None:
    """Give back what is left of a payment that succeeded for an order another payment paid; None when that was
    decided before (or nothing is left). Decided under the order's lock, so racing deliveries refund it once."""
    order = orders.get_order(uow, order.id, for_update=True)
    left = refundable(uow, attempt)
    if duplicate_refund_decided(uow.connection, attempt.id) or left <= 0:
        return None
    return request_refund(
        uow,
        order,
        amount=left,
        reason=reason,
        requested_by="system",
        attempt=attempt,
        refund_id=duplicate_refund_id(attempt.id),
    )


STATUS = {
    RefundStatus.PENDING: "pending",
    RefundStatus.SUCCEEDED: "succeeded",
    RefundStatus.FAILED: "failed",
    RefundStatus.CANCELED: "canceled",
}


def submit(context: JobContext, payload: dict[str, Any]) -> None:
    """The job: make the provider hold exactly one refund for this record, then follow its status."""
    with UnitOfWork(context.engine) as uow:
        refund = repo.get(uow.connection, str(payload["refund_id"]))
        assert refund is not None
        attempt = attempts.get(uow.connection, refund.payment_attempt_id)
        assert attempt is not None and attempt.provider_payment_id is not None
    if refund.status in ("succeeded", "failed", "canceled"):
        return
    provider = context.provider
    keys = ProviderKeys(context.engine)
    key: str | None = None
    try:
        found = _find_at_provider(context, refund, attempt.provider_payment_id)
        if found is not None:  # made before (an earlier try got through, or we follow it): never a second one
            if refund.provider_refund_id is None:
                REPEATED_OPERATIONS.labels(operation="refund").inc()
        else:
            key = keys.current(REFUND, refund.id)
            found = provider.refund(
                attempt.provider_payment_id,
                amount=refund.amount,
                idempotency_key=key,
                metadata={"refund_id": refund.id, "order_id": refund.order_id},
            )
    except ProviderRejected as error:
        if key is not None:
            keys.spend(key, because=error.message)  # the provider keeps the refusal under it: the key is done
        if error.replayed:  # an earlier call's refusal, about the payment as it was: asked again, looking first
            raise RetryLater(f"an earlier refusal was replayed ({error.message}); refunding under a new key") from error
        with UnitOfWork(context.engine) as uow:
            moved = repo.update(uow.connection, refund, status="failed", error=error.message)
            order = orders.get_order(uow, refund.order_id)
            order = orders.flag_for_review(
                uow, order, reason=f"refund {refund.id} refused: {error.message}", actor="worker"
            )
            if moved:
                _tell(uow, refund.id, "failed")
            uow.commit()
        return
    except ProviderUnavailable as error:
        raise RetryLater(error.message) from error
    with UnitOfWork(context.engine) as uow:
        apply_provider_refund(uow, refund, found, provider_event_id=None)
        uow.commit()
    # A pending refund may stay so for days: its events, and reconciliation re-reading open refunds, follow it.


def _find_at_provider(context: JobContext, refund: Refund, payment_id: str) -> ProviderRefund | None:
    """After a crash or a timeout we ask before we act: the refund may already exist."""
    if refund.provider_refund_id:
        return context.provider.retrieve_refund(refund.provider_refund_id)
    return next(
        (r for r in context.provider.list_refunds(payment_id) if r.metadata.get("refund_id") == refund.id), None
    )


def apply_provider_refund(
    uow: UnitOfWork, refund: Refund, provider_refund: ProviderRefund, *, provider_event_id: str | None
) -> None:
    reached = _follow(uow, refund, provider_refund)
    settle_order(uow, refund.order_id, provider_event_id=provider_event_id)
    if reached is not None:
        _tell(uow, refund.id, reached)


def _follow(uow: UnitOfWork, ours: Refund, provider_refund: ProviderRefund) -> str | None:
    """Our record takes the provider's status. A refund that failed there gave the customer nothing: the money
    stays counted as ours, and a person must decide what to do for the customer. Gives the status the refund has
    just reached, when it is one the shop's systems hear of (succeeded, failed)."""
    status = STATUS[provider_refund.status]
    moved = repo.update(uow.connection, ours, status=status, provider_refund_id=provider_refund.id)
    if status == "succeeded" and moved:
        _credit_note(uow, ours)
    if status == "failed" and moved:
        order = orders.get_order(uow, ours.order_id)
        orders.flag_for_review(uow, order, reason=f"refund {ours.id} failed at the provider", actor="provider")
    return status if moved and status in ("succeeded", "failed") else None


def _tell(uow: UnitOfWork, refund_id: str, status: str) -> None:
    """``order.refunded`` or ``refund.failed`` for the shop's systems, with the order as the refund left it."""
    refund = repo.get(uow.connection, refund_id)
    assert refund is not None
    order = orders.get_order(uow, refund.order_id)
    event_type = EventType.ORDER_REFUNDED if status == "succeeded" else EventType.REFUND_FAILED
    data = {
        "refund": {
            "id": refund.id,
            "amount": refund.amount,
            "currency": refund.currency,
            "status": refund.status,
            "reason": refund.reason,
            "lines": refund.lines,
            "shipping_amount": refund.shipping_amount,
        }
    }
    outgoing.emit(uow.connection, order, event_type, data)


def _credit_note(uow: UnitOfWork, refund: Refund) -> None:
    """The customer's credit note for a confirmed refund, once per refund: what went back, by line when it was
    asked for by line."""
    order = orders.get_order(uow, refund.order_id)
    payload = {
        "order_id": refund.order_id,
        "refund_id": refund.id,
        "amount": refund.amount,
        "currency": refund.currency,
        "lines": refund.lines,
        "shipping_amount": refund.shipping_amount,
    }
    receipts.write(uow.connection, order, purpose=f"credit_note:{refund.id}", payload=payload)


def sync_from_provider(
    uow: UnitOfWork, attempt: PaymentAttempt, provider_refunds: list[ProviderRefund], *, provider_event_id: str | None
) -> None:
    """Bring our records in line with every refund the provider holds for the attempt, ours or not."""
    told: list[tuple[str, str]] = []
    for provider_refund in provider_refunds:
        ours = repo.by_provider_id(uow.connection, provider_refund.id)
        if ours is None and provider_refund.metadata.get("refund_id"):
            ours = repo.get(uow.connection, provider_refund.metadata["refund_id"])
        if ours is None:  # made at the provider directly (its dashboard): record it, it is money out all the same
            made = repo.insert(
                uow.connection,
                order_id=attempt.order_id,
                attempt_id=attempt.id,
                amount=provider_refund.amount,
                currency=provider_refund.currency,
                status=STATUS[provider_refund.status],
                provider_refund_id=provider_refund.id,
                reason="made at the provider",
                requested_by="provider",
            )
            if made.status in ("succeeded", "failed"):
                told.append((made.id, made.status))
        elif (reached := _follow(uow, ours, provider_refund)) is not None:
            told.append((ours.id, reached))
    settle_order(uow, attempt.order_id, provider_event_id=provider_event_id)
    for refund_id, status in told:
        _tell(uow, refund_id, status)


def settle_order(uow: UnitOfWork, order_id: str, *, provider_event_id: str | None) -> None:
    """Move the order to what the confirmed refunds of its payment add up to."""
    order = orders.get_order(uow, order_id)
    attempt = paying_attempt(uow.connection, order_id)
    if attempt is None:
        return
    refunded = sum(
        r.amount
        for r in repo.for_order(uow.connection, order_id)
        if r.payment_attempt_id == attempt.id and r.status == "succeeded"
    )
    if refunded == 0:
        return
    full = refunded >= attempt.amount_received
    target = S.REFUNDED if full else S.PARTIALLY_REFUNDED
    if full and order.state is S.FULFILLMENT_PENDING:
        target = S.CANCELLED_WITH_REFUND
    if order.state is not target and target in TRANSITIONS[order.state]:
        orders.transition(
            uow, order, target, reason="refund_succeeded", actor="provider", provider_event_id=provider_event_id
        )
