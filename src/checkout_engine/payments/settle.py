"""Applying the provider's current word on one payment attempt to its order, in the caller's unit of work.

The one place both the webhook processor and reconciliation go through, so a payment is judged and repaired the
same way whichever noticed it first; every transition is a compare-and-set, so two of them racing apply once.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.observability.metrics import PAYMENTS
from checkout_engine.orders import effects
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import PAYABLE, Order, OrderState
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.capture import enqueue_capture, enqueue_void
from checkout_engine.payments.model import PaymentStatus, ProviderPayment
from checkout_engine.payments.truth import Action, Judgement, judge
from checkout_engine.refunds import service as refunds
from checkout_engine.settings import Settings

AMOUNT_MISMATCH = "the provider's amount or currency differs from the order's"
AUTHORIZATION_LAPSED = "the provider released the authorization before it was captured"
OUTCOME = {Action.PAY: "succeeded", Action.AUTHORIZE: "authorized", Action.FAIL: "failed", Action.CANCEL: "canceled"}
TARGET = {
    Action.PAY: OrderState.PAID,
    Action.AUTHORIZE: OrderState.PAYMENT_AUTHORIZED,
    Action.FAIL: OrderState.PAYMENT_FAILED,
    Action.CANCEL: OrderState.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class Settlement:
    verdict: Judgement
    was: OrderState  # the order's state the payment was judged against
    now: OrderState  # and its state once the verdict was applied


def amounts_agree(order: Order, attempt: PaymentAttempt, payment: ProviderPayment) -> bool:
    """The provider took what the order asks: its total and currency are its frozen snapshot's (an invariant)."""
    return payment.amount == attempt.amount == order.total and payment.currency == attempt.currency == order.currency


def settle(
    uow: UnitOfWork,
    attempt: PaymentAttempt,
    current: ProviderPayment,
    *,
    provider_event_id: str | None,
    actor: str,
    settings: Settings,
    reason_prefix: str = "",
) -> Settlement:
    conn = uow.connection
    order = was = orders.get_order(uow, attempt.order_id)
    order_attempts = attempts.for_order(conn, order.id)
    # Only a success can be an extra payment, and only once the order can no longer be paid by it (``judge`` asks
    # nothing more of an ordinary payment). The order keeps the attempt whose success made it paid, not just any
    # other that succeeded (two tabs can pay both, in either order): an extra one must never pass for the keeper.
    extra = current.status is PaymentStatus.SUCCEEDED and order.state not in PAYABLE
    keeper = refunds.paying_attempt(conn, order.id, order_attempts) if extra else None
    verdict = judge(
        order.state,
        current.status,
        latest_attempt=bool(order_attempts) and order_attempts[-1].id == attempt.id,
        paid_by_other=keeper is not None and keeper.id != attempt.id,
        refunded_as_duplicate=extra and refunds.duplicate_refund_decided(conn, attempt.id),
        being_recorded=attempt.status == attempts.CREATING,
    )
    if verdict.action is Action.WAIT:
        return Settlement(verdict, was.state, was.state)
    attempts.record_provider_state(conn, attempt, current)
    if verdict.action in TARGET:
        PAYMENTS.labels(outcome=OUTCOME[verdict.action]).inc()
        order = orders.transition(
            uow,
            order,
            TARGET[verdict.action],
            reason=reason_prefix + verdict.reason,
            actor=actor,
            provider_event_id=provider_event_id,
        )
        order = effects.apply(uow, order, settings=settings)
        if verdict.action is Action.AUTHORIZE:
            enqueue_capture(conn, attempt)
        if verdict.action in (Action.PAY, Action.AUTHORIZE) and not amounts_agree(order, attempt, current):
            order = orders.flag_for_review(uow, order, reason=AMOUNT_MISMATCH, actor=actor)  # never fulfilled as is
        if verdict.action is Action.CANCEL and not order.needs_review:  # we never cancel one we still mean to capture
            orders.flag_for_review(uow, order, reason=AUTHORIZATION_LAPSED, actor=actor)
    elif verdict.action is Action.VOID:
        enqueue_void(conn, attempt)
    elif verdict.action is Action.REFUND_DUPLICATE:
        refreshed = attempts.get(conn, attempt.id)
        assert refreshed is not None
        if refunds.refund_duplicate(uow, order, refreshed, reason=verdict.reason) is not None:
            order = orders.get_order(uow, order.id)
            order = orders.flag_for_review(uow, order, reason=verdict.reason, actor=actor)
    return Settlement(verdict, was.state, order.state)
