"""Every job kind and periodic sweep the worker knows, in one place."""

from __future__ import annotations

from datetime import timedelta

from checkout_engine.approvals import decisions as approvals
from checkout_engine.checkout import completer
from checkout_engine.db.unit_of_work import UnitOfWork
from checkout_engine.fulfillment import service as fulfillment
from checkout_engine.jobs import repository
from checkout_engine.jobs.worker import Handler, JobContext, Sweep
from checkout_engine.orders import expiry
from checkout_engine.outgoing import delivery as outgoing
from checkout_engine.outgoing.emit import DELIVER_WEBHOOK
from checkout_engine.payments import capture
from checkout_engine.receipts import service as receipts
from checkout_engine.reconciliation import jobs as reconciliation
from checkout_engine.refunds import service as refunds
from checkout_engine.settings import Settings
from checkout_engine.webhooks import ingest, processor

HANDLERS: dict[str, Handler] = {
    expiry.EXPIRE_ORDER: expiry.expire_order,
    completer.COMPLETE_CHECKOUT: completer.complete_checkout,
    ingest.PROCESS_WEBHOOK: processor.process,
    capture.CAPTURE_PAYMENT: capture.capture,
    capture.VOID_AUTHORIZATION: capture.void,
    refunds.SUBMIT_REFUND: refunds.submit,
    fulfillment.FULFILL_ORDER: fulfillment.fulfill,
    receipts.SEND_RECEIPT: receipts.send,
    reconciliation.RECONCILE: reconciliation.requested,
    DELIVER_WEBHOOK: outgoing.deliver,
}


def _bury_exhausted(context: JobContext) -> int:
    with UnitOfWork(context.engine) as uow:
        buried = repository.bury_exhausted(uow.connection)
        uow.commit()
    return buried


def sweeps(settings: Settings) -> tuple[Sweep, ...]:
    every = timedelta(seconds=settings.sweep_interval_seconds)
    return (
        Sweep("expire_reservations", every, expiry.enqueue_expired),
        Sweep("capture_authorized", every, capture.enqueue_uncaptured),
        Sweep("complete_abandoned_checkouts", every, completer.enqueue_abandoned),
        Sweep("bury_exhausted_jobs", every, _bury_exhausted),
        Sweep("expire_approval_requests", every, approvals.expire_due),
        Sweep("retry_webhook_deliveries", every, outgoing.queue_due),
        Sweep("reap_idempotency_keys", timedelta(hours=1), completer.reap_keys),
        Sweep("reconcile", timedelta(seconds=settings.reconcile_interval_seconds), reconciliation.scheduled),
    )
