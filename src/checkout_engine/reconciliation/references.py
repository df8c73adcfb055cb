"""Settling a payment the way reconciliation does, with the provider reference its transitions record."""

from __future__ import annotations

import sqlalchemy as sa

from checkout_engine.db.tables import webhook_events
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.orders.model import TransitionConflict
from checkout_engine.payments.attempts import PaymentAttempt
from checkout_engine.payments.model import ProviderPayment
from checkout_engine.payments.settle import Settlement, settle
from checkout_engine.settings import Settings


def provider_reference(uow: UnitOfWork, payment_id: str) -> str:
    """The latest provider event we hold about the payment, else the payment's own id: either proves it."""
    latest = uow.connection.execute(
        sa.select(webhook_events.c.event_id)
        .where(webhook_events.c.object_id == payment_id)
        .order_by(webhook_events.c.id.desc())
        .limit(1)
    ).scalar()
    return latest or payment_id


def settle_as_reconciliation(
    uow: UnitOfWork, attempt: PaymentAttempt, payment: ProviderPayment, settings: Settings
) -> Settlement | None:
    """The shared settlement, as reconciliation's; None when a webhook or another run settled it a moment ago."""
    try:
        return settle(
            uow,
            attempt,
            payment,
            provider_event_id=provider_reference(uow, payment.id),
            actor="reconciliation",
            settings=settings,
            reason_prefix="reconciliation_",
        )
    except TransitionConflict:
        return None
