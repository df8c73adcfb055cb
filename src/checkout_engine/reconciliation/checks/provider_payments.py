"""Paid mismatch and amount mismatch: every payment the provider took since the last run must belong to an order
of ours that is paid (else it is repaired — marked paid and fulfilled, or refunded if it cannot be fulfilled) and
must carry the order's amount and currency (else the order is flagged, never fulfilled automatically)."""

from __future__ import annotations

import sqlalchemy as sa

from checkout_engine.db.tables import orders
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders import service as order_service
from checkout_engine.orders.model import MONEY_IN
from checkout_engine.payments import attempts
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import PaymentStatus, ProviderPayment
from checkout_engine.payments.settle import AMOUNT_MISMATCH, amounts_agree
from checkout_engine.payments.truth import Action as Verdict
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.references import settle_as_reconciliation
from checkout_engine.reconciliation.run import Run
from checkout_engine.refunds import repository as refund_records

NAME = "provider_payments"
MONEY_TAKEN = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.AUTHORIZED})


def _attempt_for(uow: UnitOfWork, payment: ProviderPayment) -> PaymentAttempt | None:
    attempt = attempts.by_provider_id(uow.connection, "stripe", payment.id)
    if attempt is None and payment.metadata.get("payment_attempt_id"):
        attempt = attempts.get(uow.connection, payment.metadata["payment_attempt_id"])
    return attempt


def _says(payment: ProviderPayment) -> dict[str, object]:
    return {"id": payment.id, "status": payment.raw_status, "amount": payment.amount, "currency": payment.currency}


def check(run: Run) -> None:
    for payment in run.provider.iter_payments(created_after=run.since_unix):
        run.tally.saw(NAME)
        if payment.status not in MONEY_TAKEN:
            continue
        with UnitOfWork(run.engine) as uow:
            attempt = _attempt_for(uow, payment)
        if attempt is None:
            run.report(Finding(Kind.UNKNOWN_PAYMENT, payment.id, Action.FLAGGED, provider_says=_says(payment)))
            continue
        _amounts(run, attempt, payment)
        _paid(run, attempt, payment)


def _amounts(run: Run, attempt: PaymentAttempt, payment: ProviderPayment) -> None:
    with UnitOfWork(run.engine) as uow:
        order = order_service.get_order(uow, attempt.order_id)
        if amounts_agree(order, attempt, payment):
            return
        if not order.needs_review:
            order_service.flag_for_review(uow, order, reason=AMOUNT_MISMATCH, actor="reconciliation")
        uow.commit()
    believed = {"amount": attempt.amount, "currency": attempt.currency}
    run.report(Finding(Kind.AMOUNT_MISMATCH, payment.id, Action.FLAGGED, attempt.order_id, believed, _says(payment)))


def _paid(run: Run, attempt: PaymentAttempt, payment: ProviderPayment) -> None:
    with UnitOfWork(run.engine) as uow:
        state = uow.connection.execute(sa.select(orders.c.state).where(orders.c.id == attempt.order_id)).scalar_one()
        if state in MONEY_IN or payment.status is not PaymentStatus.SUCCEEDED:
            return
        refunds_before = len(refund_records.for_order(uow.connection, attempt.order_id))
        settled = settle_as_reconciliation(uow, attempt, payment, run.settings)
        if settled is None:
            return  # settled by a webhook or another run a moment ago
        refunded = len(refund_records.for_order(uow.connection, attempt.order_id)) > refunds_before
        uow.commit()
    if settled.verdict.action in (Verdict.NOTHING, Verdict.WAIT):
        return
    action = Action.REFUND_STARTED if refunded else Action.AUTO_REPAIRED
    run.report(Finding(Kind.PAID_MISMATCH, payment.id, action, attempt.order_id, {"state": state}, _says(payment)))
