"""Refund reconciliation, both directions: every provider refund since the last run is in our records with the
provider's status and amount, and every refund we recorded a while ago reached the provider."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from checkout_engine.clock import utcnow
from checkout_engine.db.tables import refunds
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.jobs import repository as jobs
from checkout_engine.payments import attempts
from checkout_engine.payments.model import ProviderRefund
from checkout_engine.reconciliation.model import Action, Finding, Kind
from checkout_engine.reconciliation.run import Run
from checkout_engine.refunds import repository as refund_records
from checkout_engine.refunds import service as refund_service

NAME = "refunds"
SUBMIT_GRACE = timedelta(minutes=5)  # a fresh refund is normally on its way already


def check(run: Run) -> None:
    for provider_refund in run.provider.iter_refunds(created_after=run.since_unix):
        run.tally.saw(NAME)
        _match(run, provider_refund)
    _unsubmitted(run)


def _match(run: Run, provider_refund: ProviderRefund) -> None:
    with UnitOfWork(run.engine) as uow:
        ours = refund_records.by_provider_id(uow.connection, provider_refund.id)
        if ours is None and provider_refund.metadata.get("refund_id"):
            ours = refund_records.get(uow.connection, provider_refund.metadata["refund_id"])
        status = refund_service.STATUS[provider_refund.status]
        if ours is not None and ours.status == status and ours.amount == provider_refund.amount:
            return
        attempt = attempts.by_provider_id(uow.connection, "stripe", provider_refund.payment_id)
        if attempt is None:
            return  # a refund of a payment we do not know: the payments check reports that payment
        refund_service.sync_from_provider(uow, attempt, [provider_refund], provider_event_id=provider_refund.id)
        uow.commit()
    believed = {"status": ours.status, "amount": ours.amount} if ours else None
    says = {"id": provider_refund.id, "status": provider_refund.raw_status, "amount": provider_refund.amount}
    run.report(
        Finding(Kind.REFUND_MISMATCH, provider_refund.id, Action.AUTO_REPAIRED, attempt.order_id, believed, says)
    )


def _unsubmitted(run: Run) -> None:
    cutoff = utcnow() - SUBMIT_GRACE
    with UnitOfWork(run.engine) as uow:
        stuck = uow.connection.execute(
            sa.select(refunds.c.id, refunds.c.order_id).where(
                refunds.c.status.in_(["requested", "pending"]), refunds.c.updated_at < cutoff
            )
        ).all()
        queued = [
            row
            for row in stuck
            if jobs.enqueue(
                uow.connection,
                refund_service.SUBMIT_REFUND,
                {"refund_id": row.id},
                dedupe_key=f"{refund_service.SUBMIT_REFUND}:{row.id}",
            )
        ]
        uow.commit()
    for row in queued:
        run.report(Finding(Kind.REFUND_NOT_AT_PROVIDER, row.id, Action.RESUBMITTED, row.order_id))
