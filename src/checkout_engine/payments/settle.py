"""Applying the provider's current word on one payment attempt to its order, in the caller's unit of work.

The one place both the webhook processor and reconciliation go through, so a payment is judged and repaired the
same way whichever noticed it first; every transition is a compare-and-set, so two of them racing apply once.
"""

from __future__ import annotations

from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.observability.metrics import PAYMENTS
from checkout_engine.orders import effects
from checkout_engine.orders import repository as orders_repo
from checkout_engine.orders import service as orders
from checkout_engine.orders.model import OrderState
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


def amounts_agree(uow: UnitOfWork, attempt: PaymentAttempt, payment: ProviderPayment) -> bool:
    snapshot = orders_repo.snapshot_for(uow.connection, attempt.order_id)
    assert snapshot is not None
    return payment.amount == attempt.amount == snapshot.total and payment.currency == attempt.currency


def settle(
    uow: UnitOfWork,
    attempt: PaymentAttempt,
    current: ProviderPayment,
    *,
    provider_event_id: str | None,
    actor: str,
    settings: Settings,
    reason_prefix: str = "",
) -> Judgement:
    conn = uow.connection
    order = orders.get_order(uow, attempt.order_id)
    latest = attempts.latest_for_order(conn, order.id)
    # Only a success can be an extra payment. The order keeps the attempt whose success made it paid, not just any
    # other that succeeded (two tabs can pay both, in either order): an extra one must never pass for the keeper.
    succeeded = current.status is PaymentStatus.SUCCEEDED
    keeper = refunds.paying_attempt(conn, order.id) if succeeded else None
    verdict = judge(
        order.state,
        current.status,
        latest_attempt=latest is not None and latest.id == attempt.id,
        paid_by_other=keeper is not None and keeper.id != attempt.id,
        refunded_as_duplicate=succeeded and refunds.duplicate_refund_decided(conn, attempt.id),
        being_recorded=attempt.status == attempts.CREATING,
    )
    if verdict.action is Action.WAIT:
        return verdict
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
        if verdict.action in (Action.PAY, Action.AUTHORIZE) and not amounts_agree(uow, attempt, current):
            orders.flag_for_review(uow, order, reason=AMOUNT_MISMATCH, actor=actor)  # never fulfilled as is
        if verdict.action is Action.CANCEL and not order.needs_review:  # we never cancel one we still mean to capture
            orders.flag_for_review(uow, order, reason=AUTHORIZATION_LAPSED, actor=actor)
    elif verdict.action is Action.VOID:
        enqueue_void(conn, attempt)
    elif verdict.action is Action.REFUND_DUPLICATE:
        refreshed = attempts.get(conn, attempt.id)
        assert refreshed is not None
        if refunds.refund_duplicate(uow, order, refreshed, reason=verdict.reason) is not None:
            orders.flag_for_review(uow, orders.get_order(uow, order.id), reason=verdict.reason, actor=actor)
    return verdict
